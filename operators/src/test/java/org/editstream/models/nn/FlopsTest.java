package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class FlopsTest {
    @Test
    void productsAreCountedFromTheirShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            WeightSet weights = WeightSet.random(m, DataType.FLOAT32);
            Linear linear = new Linear(weights.root().child("linear"), 5, 7, true);
            long before = Flops.total();
            linear.forward(m.randomNormal(new Shape(2, 3, 5)));
            assertThat(Flops.total() - before).as("2 x 6 rows x 5 x 7").isEqualTo(2L * 6 * 5 * 7);

            // 3x3, stride 2, padding 1: 9x9 -> 5x5; 4 output channels from 3
            Conv2d conv = new Conv2d(weights.root().child("conv"), 3, 4, 3, 2, 1);
            before = Flops.total();
            NDArray y = conv.forward(m.randomNormal(new Shape(2, 3, 9, 9)));
            assertThat(y.getShape()).isEqualTo(new Shape(2, 4, 5, 5));
            assertThat(Flops.total() - before).as("2 x output elements x 3 channels x 9").isEqualTo(2L * (2 * 4 * 25) * 3 * 9);

            // 2 heads of 4 over 6 queries and 10 keys, batch 3
            before = Flops.total();
            Attention.attend(m.randomNormal(new Shape(3, 6, 8)), m.randomNormal(new Shape(3, 10, 8)),
                    m.randomNormal(new Shape(3, 10, 8)), 2, null, null);
            assertThat(Flops.total() - before).isEqualTo(4L * 3 * 2 * 6 * 10 * 4);
            before = Flops.total();
            Attention.attendHeads(m.randomNormal(new Shape(3, 2, 6, 4)), m.randomNormal(new Shape(3, 2, 10, 4)),
                    m.randomNormal(new Shape(3, 2, 10, 4)), 0.5);
            assertThat(Flops.total() - before).isEqualTo(4L * 3 * 2 * 6 * 10 * 4);
        }
    }
}
