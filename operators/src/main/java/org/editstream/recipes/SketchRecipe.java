package org.editstream.recipes;

import org.editstream.imaging.EdgeSketch;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Sketch: image -> sketch, or the reversed pair sketch -> image. The sketch is a Canny line drawing with
 * median-relative thresholds; a sketch with almost no lines teaches nothing and is refused.
 */
public final class SketchRecipe implements Recipe {
    static final double[] THRESHOLD_SPREAD = {0.25, 0.45};
    static final int[] LINE_WIDTHS = {1, 2, 3};
    /** A sketch with fewer dark pixels than this has lost the picture. */
    static final double MIN_INK = 0.005;

    private static final List<String> MODELS = List.of("opencv-4.11 canny");

    @Override
    public Task task() {
        return Task.SKETCH;
    }

    @Override
    public String name() {
        return "sketch";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String direction = Recipe.intent(instruction, "direction");
        double spread = ColorRecipe.draw(random, THRESHOLD_SPREAD);
        int lineWidth = LINE_WIDTHS[random.nextInt(LINE_WIDTHS.length)];
        BufferedImage sketch = EdgeSketch.sketch(image, spread, lineWidth);
        double ink = EdgeSketch.inkFraction(sketch);
        if (ink < MIN_INK) {
            throw new Refusal(Reason.RECIPE_FAILED, String.format(
                    "sketch has almost no lines (%.4f of pixels, the minimum is %.4f)", ink, MIN_INK));
        }
        Map<String, String> parameters = Map.of("direction", direction, "threshold_spread", ColorRecipe.format(spread),
                "line_width", Integer.toString(lineWidth), "ink", ColorRecipe.format(ink));
        return switch (direction) {
            case "to_sketch" -> new EditPair(image, sketch, null, parameters, MODELS, Map.of());
            case "from_sketch" -> new EditPair(sketch, image, null, parameters, MODELS, Map.of());
            default -> throw new Refusal(Reason.RECIPE_FAILED, "unknown sketch direction '" + direction + "'");
        };
    }
}
