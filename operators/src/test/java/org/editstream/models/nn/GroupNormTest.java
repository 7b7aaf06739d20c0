package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class GroupNormTest {
    @Test
    void normalisesEachGroupThenScalesAndShiftsEachChannel() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            WeightSet weights = WeightSet.random(m, DataType.FLOAT32);
            // 12 channels in 3 groups, not square
            GroupNorm norm = new GroupNorm(weights.root(), 3, 12, 1e-6);
            NDArray weight = weights.root().get("weight", 12);
            NDArray bias = weights.root().get("bias", 12);
            NDArray x = m.randomNormal(new Shape(2, 12, 5, 7)).mul(3f).add(1f);

            NDArray grouped = x.reshape(2, 3, 4 * 5 * 7);
            NDArray mean = grouped.mean(new int[] {2}, true);
            NDArray centred = grouped.sub(mean);
            NDArray variance = centred.square().mean(new int[] {2}, true);
            NDArray expected = centred.div(variance.add(1e-6f).sqrt()).reshape(2, 12, 5, 7)
                    .mul(weight.reshape(12, 1, 1)).add(bias.reshape(12, 1, 1));

            NDArray normed = norm.forward(x);
            assertThat(normed.getShape()).isEqualTo(x.getShape());
            assertThat(normed.sub(expected).abs().max().getFloat()).isLessThan(1e-5f);
            NDArray silu = expected.mul(expected.getNDArrayInternal().sigmoid());
            assertThat(norm.forwardSilu(x).sub(silu).abs().max().getFloat()).isLessThan(1e-5f);
        }
    }
}
