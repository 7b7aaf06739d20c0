package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class DepthwiseConv2dTest {
    @Test
    void bothLayoutsEqualTheGroupedConvolutionInFloat64() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            int layer = 0;
            for (int kernel : new int[] {3, 5}) {
                for (boolean biased : new boolean[] {true, false}) {
                    long channels = 12;
                    Parameters lp = p.child("layer" + layer++);
                    DepthwiseConv2d conv = new DepthwiseConv2d(lp, channels, kernel, kernel / 2, biased);
                    NDArray weight = lp.get("weight", channels, 1, kernel, kernel).toType(DataType.FLOAT64, true);
                    NDArray bias = biased ? lp.get("bias", channels).toType(DataType.FLOAT64, true) : null;
                    NDArray x = m.randomNormal(new Shape(2, channels, 9, 7));
                    NDArray expected = ai.djl.nn.convolutional.Conv2d.conv2d(x.toType(DataType.FLOAT64, true), weight, bias,
                            new Shape(1, 1), new Shape(kernel / 2, kernel / 2), new Shape(1, 1), (int) channels).singletonOrThrow();
                    NDArray channelsFirst = conv.forward(x).toType(DataType.FLOAT64, true);
                    NDArray channelsLast = conv.forwardChannelsLast(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
                            .toType(DataType.FLOAT64, true);
                    String name = kernel + "x" + kernel + (biased ? " biased" : "");
                    assertThat(channelsFirst.getShape()).as(name).isEqualTo(expected.getShape());
                    assertThat(channelsFirst.sub(expected).abs().max().getDouble()).as(name).isLessThan(1e-5);
                    assertThat(channelsLast.sub(expected).abs().max().getDouble()).as(name + ", channels last").isLessThan(1e-5);
                }
            }
        }
    }
}
