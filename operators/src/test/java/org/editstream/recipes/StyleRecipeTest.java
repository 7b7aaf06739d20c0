package org.editstream.recipes;

import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TinyPipeline;
import org.editstream.imaging.Images;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The style recipe on the tiny model (noise, not pictures): inversion of a given image, candidates, chooser. */
class StyleRecipeTest {
    private static BufferedImage photo() {
        BufferedImage image = new BufferedImage(80, 80, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, Color.ORANGE, 80, 80, Color.BLUE));
        g.fillRect(0, 0, 80, 80);
        g.setColor(Color.WHITE);
        g.fillOval(20, 20, 30, 30);
        g.dispose();
        return image;
    }

    @Test
    void aGivenImageIsInvertedAndRestyledWithParametersInTheirRanges() {
        StableDiffusion sd = TinyPipeline.get();
        List<Double> offered = new ArrayList<>();
        StyleRecipe recipe = new StyleRecipe(sd, (candidates, caption) -> {
            candidates.forEach(c -> offered.add(Double.parseDouble(c.parameters().get("guidance"))));
            assertThat(caption).isEqualTo("a watercolor painting of a ball");
            return 1;
        }, 4, 64, 64, 2);
        EditPair pair = recipe.make(photo(), "a photo of a ball", "a watercolor painting of a ball", new SplittableRandom(11));

        assertThat(offered).hasSize(2).allSatisfy(g -> assertThat(g).isBetween(6.5, 11.0));
        assertThat(pair.parameters()).containsEntry("candidate", "1").containsEntry("input", "given")
                .containsEntry("feature_fraction", "0.8000");
        assertThat(Double.parseDouble(pair.parameters().get("attention_fraction"))).isBetween(0.5, 1.0);
        assertThat(pair.input().getWidth()).isEqualTo(64);
        assertThat(pair.edited().getHeight()).isEqualTo(64);
        assertThat(Images.meanAbsoluteDifference(pair.input(), pair.edited())).isPositive();

        EditPair again = recipe.make(photo(), "a photo of a ball", "a watercolor painting of a ball", new SplittableRandom(11));
        assertThat(Images.meanAbsoluteDifference(again.edited(), pair.edited())).isZero();
    }

    @Test
    void withoutAnImageTheInputIsGeneratedFromTheInputCaption() {
        StableDiffusion sd = TinyPipeline.get();
        StyleRecipe recipe = new StyleRecipe(sd, (c, caption) -> 0, 3, 64, 64, 1);
        EditPair pair = recipe.make(null, "a photo of a ball", "a pencil sketch of a ball", new SplittableRandom(2));
        BufferedImage plain = sd.textToImage("a photo of a ball", "", 3, StyleRecipe.INPUT_GUIDANCE,
                Long.parseLong(pair.parameters().get("noise_seed")), 64, 64, StableDiffusion.StepListener.NONE);
        assertThat(pair.parameters()).containsEntry("input", "generated");
        assertThat(Images.meanAbsoluteDifference(pair.input(), plain)).isZero();
    }
}
