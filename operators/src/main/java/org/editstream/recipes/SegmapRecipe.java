package org.editstream.recipes;

import org.editstream.imaging.SegmentationMap;
import org.editstream.perception.SegmapHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Segmentation map: image -> colour-coded semantic segmentation, or the reversed pair map -> image. SegFormer labels
 * every pixel with an ADE20K class, drawn in the palette of ControlNet's segmentation annotator. A map that is almost
 * all one class says nothing about the picture and is refused.
 */
public final class SegmapRecipe implements Recipe {
    /** A map whose largest class covers more than this share of the pixels is refused. */
    static final double MAX_LARGEST_SHARE = 0.98;
    /** How many of the largest classes the sample's parameters name. */
    static final int NAMED_CLASSES = 5;

    private final SegmapHost segmap;

    public SegmapRecipe(SegmapHost segmap) {
        this.segmap = segmap;
    }

    @Override
    public Task task() {
        return Task.SEGMAP;
    }

    @Override
    public String name() {
        return "segmap";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String direction = Recipe.intent(instruction, "direction");
        SegmentationMap map = segmap.segmentNow(image);
        SegmentationMap.Palette palette = SegmentationMap.ADE20K;
        List<SegmentationMap.Share> shares = map.shares();
        SegmentationMap.Share largest = shares.get(0);
        if (largest.fraction() > MAX_LARGEST_SHARE) {
            throw new Refusal(Reason.RECIPE_FAILED, String.format(Locale.ROOT,
                    "the segmentation is almost all one class (%s, %.1f%% of the pixels; at most %.0f%% is kept)",
                    palette.name(largest.label()), 100 * largest.fraction(), 100 * MAX_LARGEST_SHARE));
        }
        String classes = shares.stream().limit(NAMED_CLASSES)
                .map(s -> palette.name(s.label()) + " " + ColorRecipe.format(s.fraction()))
                .collect(Collectors.joining(", "));
        Map<String, String> parameters = Map.of("direction", direction, "map", "segmap", "palette", "ade20k",
                "classes", Integer.toString(shares.size()), "largest_classes", classes);
        return EditPair.translation(direction, "segmap", image, map.render(palette), parameters, List.of(segmap.id()));
    }
}
