package org.editstream.recipes;

import org.editstream.imaging.DepthMap;
import org.editstream.perception.DepthHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/** Normal: image -> normal map, or the reversed pair normal map -> image; the normals from the depth, as ControlNet's normal annotator computes them. */
public final class NormalRecipe implements Recipe {
    private final DepthHost depth;

    public NormalRecipe(DepthHost depth) {
        this.depth = depth;
    }

    @Override
    public Task task() {
        return Task.NORMAL;
    }

    @Override
    public String name() {
        return "normal";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        return DepthTranslation.make(depth, image, instruction, "normal", DepthMap::normalImage);
    }
}
