package org.editstream.recipes;

import org.editstream.imaging.DepthMap;
import org.editstream.perception.DepthHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/** Depth: image -> depth map, or the reversed pair depth map -> image; the map as ControlNet's depth annotator draws it. */
public final class DepthRecipe implements Recipe {
    private final DepthHost depth;

    public DepthRecipe(DepthHost depth) {
        this.depth = depth;
    }

    @Override
    public Task task() {
        return Task.DEPTH;
    }

    @Override
    public String name() {
        return "depth";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        return DepthTranslation.make(depth, image, instruction, "depth", DepthMap::depthImage);
    }
}
