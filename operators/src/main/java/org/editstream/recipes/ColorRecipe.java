package org.editstream.recipes;

import org.editstream.imaging.ColorAdjustments;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Color: a photometric edit the instruction names (brightness, contrast, saturation up or down, hue shift,
 * Gaussian blur, sharpen, defocus), with its strength drawn per sample. The ranges are strong enough that
 * the change is plain to see, as an instruction-following model must learn it.
 */
public final class ColorRecipe implements Recipe {
    // parameter ranges, all in one place
    static final double[] BRIGHTER = {1.3, 1.8};
    static final double[] DARKER = {0.45, 0.75};
    static final double[] MORE_CONTRAST = {1.3, 1.8};
    static final double[] LESS_CONTRAST = {0.4, 0.7};
    static final double[] MORE_SATURATED = {1.5, 2.2};
    static final double[] LESS_SATURATED = {0.0, 0.5};
    static final double[] HUE_DEGREES = {30, 150};
    /** Gaussian kernel size as a fraction of the longest side (rounded to an odd size >= 5). */
    static final double[] BLUR_KERNEL_FRACTION = {0.015, 0.05};
    static final double[] SHARPEN_AMOUNT = {1.5, 3.0};
    static final double[] SHARPEN_SIGMA = {1.0, 2.5};
    /** Disc radius as a fraction of the longest side (at least 3 pixels). */
    static final double[] DEFOCUS_RADIUS_FRACTION = {0.01, 0.025};

    private static final List<String> MODELS = List.of("opencv-4.11");

    @Override
    public Task task() {
        return Task.COLOR;
    }

    @Override
    public String name() {
        return "color";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String operation = Recipe.intent(instruction, "operation");
        String direction = instruction.getIntent().getOrDefault("direction", "apply");
        int longest = Math.max(image.getWidth(), image.getHeight());
        BufferedImage edited;
        Map<String, String> parameters;
        switch (operation) {
            case "brightness" -> {
                double f = draw(random, up(direction) ? BRIGHTER : DARKER);
                edited = ColorAdjustments.brightness(image, f);
                parameters = Map.of("operation", operation, "factor", format(f));
            }
            case "contrast" -> {
                double f = draw(random, up(direction) ? MORE_CONTRAST : LESS_CONTRAST);
                edited = ColorAdjustments.contrast(image, f);
                parameters = Map.of("operation", operation, "factor", format(f));
            }
            case "saturation" -> {
                double f = draw(random, up(direction) ? MORE_SATURATED : LESS_SATURATED);
                edited = ColorAdjustments.saturation(image, f);
                parameters = Map.of("operation", operation, "factor", format(f));
            }
            case "hue" -> {
                double degrees = draw(random, HUE_DEGREES) * (random.nextBoolean() ? 1 : -1);
                edited = ColorAdjustments.hue(image, degrees);
                parameters = Map.of("operation", operation, "degrees", format(degrees));
            }
            case "blur" -> {
                int kernel = oddAtLeast(5, draw(random, BLUR_KERNEL_FRACTION) * longest);
                edited = ColorAdjustments.gaussianBlur(image, kernel, 0);
                parameters = Map.of("operation", operation, "kernel", Integer.toString(kernel));
            }
            case "sharpen" -> {
                double amount = draw(random, SHARPEN_AMOUNT);
                double sigma = draw(random, SHARPEN_SIGMA);
                edited = ColorAdjustments.sharpen(image, amount, sigma);
                parameters = Map.of("operation", operation, "amount", format(amount), "sigma", format(sigma));
            }
            case "defocus" -> {
                int radius = Math.max(3, (int) Math.round(draw(random, DEFOCUS_RADIUS_FRACTION) * longest));
                edited = ColorAdjustments.defocus(image, radius);
                parameters = Map.of("operation", operation, "radius", Integer.toString(radius));
            }
            default -> throw new Refusal(Reason.RECIPE_FAILED, "unknown color operation '" + operation + "'");
        }
        Map<String, String> recorded = new java.util.TreeMap<>(parameters);
        recorded.put("direction", direction);
        return new EditPair(image, edited, null, recorded, MODELS, Map.of());
    }

    private static boolean up(String direction) {
        return direction.equals("up");
    }

    static double draw(SplittableRandom random, double[] range) {
        return range[0] + random.nextDouble() * (range[1] - range[0]);
    }

    private static int oddAtLeast(int minimum, double size) {
        int k = Math.max(minimum, (int) Math.round(size));
        return k % 2 == 0 ? k + 1 : k;
    }

    static String format(double value) {
        return String.format(Locale.ROOT, "%.4f", value);
    }
}
