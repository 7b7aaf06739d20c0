package org.editstream.recipes;

import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Emu Edit's vision tasks as edits of an image: <b>detect</b> draws the boxes of every instance of the named object
 * the grounder finds, <b>segment</b> paints the object's pixels. The input is the image; the colour (and for detect
 * the line thickness) is drawn per sample and recorded, with the instances found and the best score. An object the
 * grounder does not find is refused ({@code OBJECT_NOT_FOUND}, with its best score).
 */
public final class GroundedRecipe implements Recipe {
    /** Colours a detect box or segment paint is drawn in: saturated, unlike most photographs' regions. */
    static final Map<String, Color> COLORS = Map.of("red", new Color(230, 25, 35), "green", new Color(20, 200, 60),
            "blue", new Color(30, 90, 235), "yellow", new Color(250, 220, 0), "magenta", new Color(225, 30, 200),
            "cyan", new Color(0, 210, 220));
    /** How opaque the segment paint is over the object. */
    static final float PAINT_OPACITY = 0.6f;

    private final Task task;
    private final ObjectGrounder grounder;

    public GroundedRecipe(Task task, ObjectGrounder grounder) {
        if (task != Task.DETECT && task != Task.SEGMENT) {
            throw new IllegalArgumentException("the grounded recipe makes detect and segment, not " + task);
        }
        this.task = task;
        this.grounder = grounder;
    }

    @Override
    public Task task() {
        return task;
    }

    @Override
    public String name() {
        return task == Task.DETECT ? "detect-boxes" : "segment-paint";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String object = instruction.getOriginalObject() == null ? null : instruction.getOriginalObject().toString();
        if (object == null || object.isBlank()) {
            throw new Refusal(Reason.RECIPE_FAILED, "the instruction names no object to " + task.name().toLowerCase(Locale.ROOT));
        }
        ObjectGrounder.Detections found = grounder.groundAll(image, object);
        if (found.found().isEmpty()) {
            throw notFound(object, found.bestScore());
        }
        List<String> names = COLORS.keySet().stream().sorted().toList();
        String colorName = names.get(random.nextInt(names.size()));
        Color color = COLORS.get(colorName);
        BufferedImage edited = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = edited.createGraphics();
        g.drawImage(image, 0, 0, null);
        Map<String, String> parameters = new HashMap<>();
        parameters.put("object", object);
        parameters.put("color", colorName);
        parameters.put("instances", Integer.toString(found.found().size()));
        parameters.put("score", ColorRecipe.format(found.found().get(0).score()));
        BufferedImage mask = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        if (task == Task.DETECT) {
            int thickness = Math.max(2, Math.round(Math.min(image.getWidth(), image.getHeight()) / 100f * (1 + random.nextInt(3))));
            parameters.put("thickness", Integer.toString(thickness));
            g.setColor(color);
            g.setStroke(new BasicStroke(thickness));
            Graphics2D m = mask.createGraphics();
            m.setColor(Color.WHITE);
            m.setStroke(new BasicStroke(thickness));
            for (ObjectGrounder.Grounding grounding : found.found()) {
                Rectangle box = grounding.box();
                g.drawRect(box.x, box.y, box.width - 1, box.height - 1);
                m.drawRect(box.x, box.y, box.width - 1, box.height - 1);
            }
            m.dispose();
        } else {
            int painted = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    if (!inAny(found.found(), x, y)) {
                        continue;
                    }
                    int rgb = edited.getRGB(x, y);
                    int r = blend((rgb >> 16) & 0xFF, color.getRed());
                    int gr = blend((rgb >> 8) & 0xFF, color.getGreen());
                    int b = blend(rgb & 0xFF, color.getBlue());
                    edited.setRGB(x, y, (r << 16) | (gr << 8) | b);
                    mask.getRaster().setSample(x, y, 0, 255);
                    painted++;
                }
            }
            parameters.put("opacity", ColorRecipe.format(PAINT_OPACITY));
            parameters.put("mask_fraction", ColorRecipe.format((double) painted / (image.getWidth() * image.getHeight())));
        }
        g.dispose();
        return new EditPair(image, edited, mask, parameters, List.of(grounder.id()), Map.of());
    }

    /** The refusal of an object the grounder did not find, with its best score over everything it considered. */
    static Refusal notFound(String object, double bestScore) {
        return new Refusal(Reason.OBJECT_NOT_FOUND, "the grounder did not find \"" + object + "\" (its best score: "
                + (Double.isNaN(bestScore) ? "not given" : ColorRecipe.format(bestScore)) + ")");
    }

    private static boolean inAny(List<ObjectGrounder.Grounding> found, int x, int y) {
        for (ObjectGrounder.Grounding g : found) {
            if (g.segmentation().getRaster().getSample(x, y, 0) >= 128) {
                return true;
            }
        }
        return false;
    }

    private static int blend(int under, int paint) {
        return Math.round(under * (1 - PAINT_OPACITY) + paint * PAINT_OPACITY);
    }
}
