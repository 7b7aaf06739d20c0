package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class Conv2dTest {
    @Test
    void weightBoundConvolutionsAreTheMatrixProductOfThePatchesAndEqualTheKernel() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(6);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            NDArray weight = p.get("weight", 48, 40, 3, 3);
            NDArray bias = p.get("bias", 48);
            Conv2d same = new Conv2d(p, 40, 48, 3, 1, 1);
            Conv2d strided = new Conv2d(p, 40, 48, 3, 2, 1);

            // few pixels, many channels: the weights (17280) outweigh the patches (2 x 360 x 3 x 2 = 4320) four times
            NDArray small = m.randomNormal(new Shape(2, 40, 3, 2));
            assertThat(same.weightBound(small)).isTrue();
            assertThat(same.forward(small).getShape()).isEqualTo(new Shape(2, 48, 3, 2));
            assertThat(difference(same.forward(small), kernel(small, weight, bias, 1))).isLessThan(1e-5f);
            NDArray odd = m.randomNormal(new Shape(1, 40, 5, 3));
            assertThat(strided.weightBound(odd)).isTrue();
            assertThat(strided.forward(odd).getShape()).isEqualTo(new Shape(1, 48, 3, 2));
            assertThat(difference(strided.forward(odd), kernel(odd, weight, bias, 2))).isLessThan(1e-5f);

            // the product leaves nothing in the weights' manager
            try (NDManager activations = NDManager.newBaseManager()) {
                int held = m.getManagedArrays().size();
                NDArray input = activations.randomNormal(new Shape(2, 40, 3, 2));
                NDArray out = same.forward(input);
                assertThat(out.getManager()).isSameAs(activations);
                assertThat(m.getManagedArrays()).hasSize(held);
            }

            NDArray large = m.randomNormal(new Shape(2, 40, 16, 12));
            assertThat(same.weightBound(large)).isFalse();
            assertThat(difference(same.forward(large), kernel(large, weight, bias, 1))).isEqualTo(0f);
        }
    }

    private static NDArray kernel(NDArray x, NDArray weight, NDArray bias, int stride) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, new Shape(stride, stride), new Shape(1, 1),
                new Shape(1, 1), 1).singletonOrThrow();
    }

    private static float difference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
