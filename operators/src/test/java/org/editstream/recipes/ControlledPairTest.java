package org.editstream.recipes;

import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TinyPipeline;
import org.editstream.imaging.Images;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Several attention-controlled pairs in one UNet batch, on the tiny model. */
class ControlledPairTest {
    private static final float[] LEFT_HALF = leftHalf(64, 48);

    private static float[] leftHalf(int width, int height) {
        float[] mask = new float[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width / 2; x++) {
                mask[y * width + x] = 1;
            }
        }
        return mask;
    }

    private static final List<ControlledPair.Spec> SPECS = List.of(
            // a word swap (REPLACE) with a mask, a refinement (REFINE) without, each with its own draws and noise
            new ControlledPair.Spec("a photo of a dog", "a photo of a cat", LEFT_HALF,
                    new ControlledPair.Draw(7.5, 0.8, 0.5, 0.25), 11),
            new ControlledPair.Spec("a red car on a road", "a red car on a road at night", null,
                    new ControlledPair.Draw(4.0, 0.4, 0.9, 0.5), 12),
            new ControlledPair.Spec("a house by a lake", "a wooden house by a lake", null,
                    new ControlledPair.Draw(6.0, 0.6, 0.3, 0.0), 13));

    @Test
    void pairsBatchedTogetherAreThePairsMadeAlone() {
        StableDiffusion sd = TinyPipeline.get();
        List<ControlledPair.Result> alone = ControlledPair.runAll(sd, 4, 64, 48, SPECS, 1024, 1);
        List<ControlledPair.Result> together = ControlledPair.runAll(sd, 4, 64, 48, SPECS, 1024, 3);
        assertThat(together).hasSize(3);
        for (int i = 0; i < SPECS.size(); i++) {
            assertThat(together.get(i).failure()).isNull();
            assertThat(together.get(i).parameters()).isEqualTo(alone.get(i).parameters());
            // the same computation in a larger batch: at most rounding apart (well under one 8-bit level on average)
            assertThat(Images.meanAbsoluteDifference(together.get(i).source(), alone.get(i).source())).isLessThan(0.5 / 255);
            assertThat(Images.meanAbsoluteDifference(together.get(i).target(), alone.get(i).target())).isLessThan(0.5 / 255);
        }
        // the pairs really differ from one another, so the comparison above could tell them apart
        assertThat(Images.meanAbsoluteDifference(together.get(0).target(), together.get(1).target())).isGreaterThan(0.01);
        assertThat(together.get(0).parameters()).containsEntry("mode", "REPLACE");
        assertThat(together.get(1).parameters()).containsEntry("mode", "REFINE");
        // the third pair blends from step 0: outside its (blank) mask there is nothing, so its edits still apply
        assertThat(Integer.parseInt(together.get(2).parameters().get("attention_edits"))).isPositive();
    }

    @Test
    void aPairThatTurnsToNanFailsAloneAndTheOthersAreMade() {
        StableDiffusion sd = TinyPipeline.get();
        List<ControlledPair.Spec> specs = List.of(SPECS.get(0),
                new ControlledPair.Spec("a photo of a dog", "a photo of a cat", null,
                        new ControlledPair.Draw(Double.NaN, 0.8, 0.5, 0.25), 14),
                SPECS.get(1));
        List<ControlledPair.Result> results = ControlledPair.runAll(sd, 3, 64, 48, specs, 1024, 3);
        assertThat(results.get(1).failure()).contains("NaN latents").contains("noise seed 14");
        assertThat(results.get(1).source()).isNull();
        assertThat(results.get(0).failure()).isNull();
        assertThat(results.get(2).failure()).isNull();
        List<ControlledPair.Result> alone = ControlledPair.runAll(sd, 3, 64, 48, List.of(SPECS.get(0)), 1024, 1);
        assertThat(Images.meanAbsoluteDifference(results.get(0).target(), alone.get(0).target())).isLessThan(0.5 / 255);
    }
}
