package org.editstream.recipes;

import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TinyPipeline;
import org.editstream.imaging.Images;
import org.editstream.rejections.Refusal;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** On the tiny model (noise, not pictures): the mechanics of the global recipe, not its looks. */
class GlobalRecipeTest {
    @Test
    void drawsItsParametersInRangeRecordsThemAndIsDeterministic() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        GlobalRecipe recipe = new GlobalRecipe(sd, 4, 64, 48);
        EditPair pair = recipe.make("a photo of a red dog on the grass", "a watercolor painting of a red dog on the grass",
                new SplittableRandom(42));
        assertThat(Double.parseDouble(pair.parameters().get("cross_fraction"))).isBetween(0.4, 0.9);
        assertThat(Double.parseDouble(pair.parameters().get("self_fraction"))).isBetween(0.4, 0.9);
        assertThat(Double.parseDouble(pair.parameters().get("blend_from"))).isBetween(0.1, 0.2);
        assertThat(Double.parseDouble(pair.parameters().get("guidance"))).isBetween(4.0, 8.0);
        assertThat(Integer.parseInt(pair.parameters().get("attention_edits"))).isPositive();
        assertThat(pair.input().getWidth()).isEqualTo(64);
        assertThat(pair.input().getHeight()).isEqualTo(48);
        assertThat(Images.meanAbsoluteDifference(pair.input(), pair.edited())).isPositive();

        EditPair again = recipe.make("a photo of a red dog on the grass", "a watercolor painting of a red dog on the grass",
                new SplittableRandom(42));
        assertThat(pixels(again.edited())).containsExactly(pixels(pair.edited()));
        assertThat(again.parameters()).isEqualTo(pair.parameters());
    }

    @Test
    void theInputImageIsPlainTextToImageOfTheInputCaption() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        GlobalRecipe recipe = new GlobalRecipe(sd, 4, 64, 64);
        SplittableRandom random = new SplittableRandom(7);
        EditPair pair = recipe.make("a photo of a red dog on the grass", "a photo of a red dog on the grass at night", random.split());
        java.util.Map<String, String> p = pair.parameters();
        BufferedImage plain = sd.textToImage("a photo of a red dog on the grass", "", 4, Double.parseDouble(p.get("guidance")),
                Long.parseLong(p.get("noise_seed")), 64, 64, StableDiffusion.StepListener.NONE);
        // guidance is recorded to 4 decimals, so allow one 8-bit level of difference
        assertThat(Images.meanAbsoluteDifference(plain, pair.input())).isLessThan(1.0 / 255);
    }

    @Test
    void requestsBatchedTogetherGetThePairsTheyGetAlone() throws Refusal {
        GlobalRecipe recipe = new GlobalRecipe(TinyPipeline.get(), 3, 64, 64);
        String[][] captions = {{"a photo of a red dog", "a pencil drawing of a red dog"},
                {"a boat on a lake", "a boat on a lake at sunset"}};
        List<GlobalRecipe.Edit> edits = List.of(new GlobalRecipe.Edit(captions[0][0], captions[0][1], new SplittableRandom(1)),
                new GlobalRecipe.Edit(captions[1][0], captions[1][1], new SplittableRandom(2)));
        List<Made> together = recipe.makeAll(edits, 2);
        for (int i = 0; i < 2; i++) {
            EditPair alone = recipe.make(captions[i][0], captions[i][1], new SplittableRandom(i + 1));
            assertThat(together.get(i).get().parameters()).isEqualTo(alone.parameters());
            assertThat(Images.meanAbsoluteDifference(together.get(i).get().edited(), alone.edited())).isLessThan(0.5 / 255);
        }
    }

    private static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
