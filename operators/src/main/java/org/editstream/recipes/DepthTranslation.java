package org.editstream.recipes;

import org.editstream.imaging.DepthMap;
import org.editstream.perception.DepthHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What the depth and normal recipes share: the image's depth from this JVM's depth model, one of its renderings, and
 * the pair in the instruction's direction ({@code to_map}: image -> map, {@code from_map}: map -> image). A depth
 * estimate with almost no relief teaches nothing and is refused.
 */
final class DepthTranslation {
    /** A depth whose normalised values spread less than this (standard deviation) is refused as flat. */
    static final double MIN_SPREAD = 0.02;

    private DepthTranslation() {
    }

    static EditPair make(DepthHost depth, BufferedImage image, Instruction instruction, String mapName,
                         Function<DepthMap, BufferedImage> render) throws Refusal {
        return make(depth::estimateNow, depth.id(), image, instruction, mapName, render);
    }

    static EditPair make(Function<BufferedImage, DepthMap> estimator, String modelId, BufferedImage image, Instruction instruction,
                         String mapName, Function<DepthMap, BufferedImage> render) throws Refusal {
        String direction = Recipe.intent(instruction, "direction");
        DepthMap map = estimator.apply(image);
        double spread = spread(map.normalised());
        if (spread < MIN_SPREAD) {
            throw new Refusal(Reason.RECIPE_FAILED, String.format(java.util.Locale.ROOT,
                    "the depth is nearly flat (spread %.4f, the minimum is %.4f)", spread, MIN_SPREAD));
        }
        BufferedImage rendered = render.apply(map);
        Map<String, String> parameters = Map.of("direction", direction, "map", mapName, "depth_spread", ColorRecipe.format(spread));
        return EditPair.translation(direction, mapName, image, rendered, parameters, List.of(modelId));
    }

    private static double spread(float[] values) {
        double sum = 0;
        double squares = 0;
        for (float v : values) {
            sum += v;
            squares += (double) v * v;
        }
        double mean = sum / values.length;
        return Math.sqrt(Math.max(0, squares / values.length - mean * mean));
    }
}
