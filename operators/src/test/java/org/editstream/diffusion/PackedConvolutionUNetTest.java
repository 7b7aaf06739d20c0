package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.api.SoftAssertions;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Conv2d;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.function.UnaryOperator;

/** A UNet whose convolutions pack their weights computes what the same UNet on dense weights computes. */
class PackedConvolutionUNetTest {
    @Test
    void packedAndDenseConvolutionsGiveTheSameUNetAtEverySizeAndBatch() {
        Path folder = Fixtures.path("sd-tiny/unet");
        UNetConfig config = ModelFolder.config(folder, UNetConfig.class);
        // latents must halve cleanly at every down block
        int step = 1 << (config.blockOutChannels().size() - 1);
        int[][] sizes = {{4 * step, 4 * step}, {3 * step, 5 * step}, {7 * step, 2 * step}};
        SoftAssertions softly = new SoftAssertions();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            WeightSet weights = WeightSet.load(m, ModelFolder.weights(folder), DataType.FLOAT32, UnaryOperator.identity());
            Conv2d.Census before = Conv2d.census();
            UNet packed = new UNet(weights.root(), config);
            UNet dense = denseUNet(weights, config);
            for (int batch : new int[] {1, 3}) {
                for (int[] size : sizes) {
                    NDArray sample = m.randomNormal(new Shape(batch, config.inChannels(), size[0], size[1]));
                    NDArray context = m.randomNormal(new Shape(batch, 7, config.contextDim()));
                    NDArray t = m.randomUniform(0f, 1000f, new Shape(batch)).floor();
                    // twice: the first packed call at a shape is proven against the dense one, the second is not
                    for (int call = 0; call < 2; call++) {
                        NDArray a = packed.forward(sample, t, context, UNetHooks.NONE);
                        NDArray b = dense.forward(sample, t, context, UNetHooks.NONE);
                        double diff = Fixtures.maxAbsDiff(a, b);
                        softly.assertThat(diff).as("batch %d at %dx%d, call %d: max abs diff", batch, size[0], size[1], call)
                                .isLessThanOrEqualTo(1e-5);
                    }
                }
            }
            if (!Conv2d.onCpu().startsWith("dense")) {
                softly.assertThat(Conv2d.census().packed()).as("layers packed").isGreaterThan(before.packed());
                softly.assertThat(Conv2d.census().fellBack()).as("layers fallen back").isEqualTo(before.fellBack());
            }
        }
        softly.assertAll();
    }

    private static UNet denseUNet(WeightSet weights, UNetConfig config) {
        String before = System.getProperty(Conv2d.PACKED_PROPERTY);
        System.setProperty(Conv2d.PACKED_PROPERTY, "false");
        try {
            return new UNet(weights.root(), config);
        } finally {
            if (before == null) {
                System.clearProperty(Conv2d.PACKED_PROPERTY);
            } else {
                System.setProperty(Conv2d.PACKED_PROPERTY, before);
            }
        }
    }
}
