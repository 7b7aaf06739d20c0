package org.editstream.recipes;

import org.editstream.imaging.DepthMap;
import org.editstream.models.Fixtures;
import org.editstream.perception.DepthHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DepthRecipeTest {
    private static Instruction direction(String direction) {
        return Instruction.newBuilder().setText("estimate the depth map").setWriter("template").setTemplateVersion("t")
                .setIntent(Map.of("direction", direction)).build();
    }

    @Test
    void depthAndNormalPairsRenderTheModelsDepthInEitherDirection() throws Exception {
        DepthHost host = DepthHost.forFolder(Fixtures.path("depth-tiny"));
        BufferedImage image = ColorRecipeTest.scene();
        DepthMap depth = host.estimateNow(image);
        assertThat(depth.width()).isEqualTo(image.getWidth());
        assertThat(depth.height()).isEqualTo(image.getHeight());

        EditPair toDepth = new DepthRecipe(host).make(image, direction("to_map"), new SplittableRandom(1));
        assertThat(toDepth.input()).isSameAs(image);
        assertThat(pixels(toDepth.edited())).isEqualTo(pixels(depth.depthImage()));
        assertThat(toDepth.modelIds()).containsExactly(host.id());
        assertThat(toDepth.parameters()).containsEntry("direction", "to_map").containsEntry("map", "depth");

        EditPair fromNormals = new NormalRecipe(host).make(image, direction("from_map"), new SplittableRandom(1));
        assertThat(fromNormals.edited()).isSameAs(image);
        assertThat(pixels(fromNormals.input())).isEqualTo(pixels(depth.normalImage()));
    }

    @Test
    void aFlatDepthOrAnUnknownDirectionIsRefused() {
        BufferedImage image = ColorRecipeTest.scene();
        DepthMap flat = new DepthMap(new float[image.getWidth() * image.getHeight()], image.getWidth(), image.getHeight());
        assertThatThrownBy(() -> DepthTranslation.make(i -> flat, "flat", image, direction("to_map"), "depth", DepthMap::depthImage))
                .isInstanceOf(Refusal.class).hasMessageContaining("nearly flat");
        float[] ramp = new float[image.getWidth() * image.getHeight()];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = i % image.getWidth();
        }
        DepthMap sloped = new DepthMap(ramp, image.getWidth(), image.getHeight());
        assertThatThrownBy(() -> DepthTranslation.make(i -> sloped, "ramp", image, direction("sideways"), "depth", DepthMap::depthImage))
                .isInstanceOf(Refusal.class).hasMessageContaining("sideways");
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
