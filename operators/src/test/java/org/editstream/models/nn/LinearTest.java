package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.api.SoftAssertions;
import org.editstream.models.Parameters;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LinearTest {
    /**
     * (rows, in, out): transformer and SegFormer sizes, among them 1024 x 640 -> 160, where libtorch 2.7.1's oneDNN
     * product gave wrong numbers on this machine's CPU (an AMD EPYC) and the layer must fall back.
     */
    private static final long[][] SHAPES = {{192, 768, 2304}, {192, 3072, 768}, {16384, 32, 128}, {4096, 256, 64},
            {1024, 640, 160}, {77, 512, 512}, {3, 40, 24}};

    @Test
    void everyLayerEqualsTheFloat64ProductWhetherPackedOrFallenBack() {
        SoftAssertions softly = new SoftAssertions();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            int layer = 0;
            for (long[] s : SHAPES) {
                for (boolean biased : new boolean[] {true, false}) {
                    Parameters lp = p.child("layer" + layer++);
                    Linear linear = new Linear(lp, s[1], s[2], biased);
                    NDArray weight = lp.get("weight", s[2], s[1]).toType(DataType.FLOAT64, true);
                    NDArray bias = biased ? lp.get("bias", s[2]).toType(DataType.FLOAT64, true) : null;
                    String name = String.format("%d rows, %d -> %d%s", s[0], s[1], s[2], biased ? ", biased" : "");
                    for (Shape input : List.of(new Shape(1, s[0], s[1]), new Shape(2, s[0], s[1]))) {
                        NDArray x = m.randomNormal(input);
                        NDArray x64 = x.toType(DataType.FLOAT64, true);
                        NDArray expected = bias == null ? ai.djl.nn.core.Linear.linear(x64, weight).singletonOrThrow()
                                : ai.djl.nn.core.Linear.linear(x64, weight, bias).singletonOrThrow();
                        NDArray actual = linear.forward(x);
                        softly.assertThat(actual.getShape()).as(name).isEqualTo(expected.getShape());
                        softly.assertThat(PackedProof.difference(actual, expected.toType(DataType.FLOAT32, true)))
                                .as("%s at %s (packed %s, fell back %s)", name, input, linear.isPacked(), linear.fellBack()).isNull();
                    }
                    boolean large = 2 * s[0] * s[1] * s[2] >= Linear.MIN_PACKED_PRODUCT; // the batch-2 input
                    if (!large) {
                        softly.assertThat(linear.isPacked() || linear.fellBack()).as("%s stays on libtorch's linear", name).isFalse();
                    } else if (Kernels.linearPacking() == null && Boolean.parseBoolean(System.getProperty(Linear.PACKED_PROPERTY, "true"))) {
                        softly.assertThat(linear.isPacked() || linear.fellBack()).as("%s packed or fell back", name).isTrue();
                    }
                }
            }
        }
        softly.assertAll();
    }

    @Test
    void stackedLayersAreTheirLayersSideBySide() {
        try (NDManager m = NDManager.newBaseManager()) {
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            List<Parameters> parts = List.of(p.child("q"), p.child("k"), p.child("v"));
            List<Linear> alone = parts.stream().map(part -> new Linear(part, 24, 16, true)).toList();
            NDArray x = m.randomNormal(new Shape(2, 5, 24));
            List<NDArray> expected = alone.stream().map(l -> l.forward(x)).toList();
            NDArray together = Linear.stacked(parts, 24, 16, true).forward(x);
            assertThat(together.getShape()).isEqualTo(new Shape(2, 5, 48));
            for (int i = 0; i < 3; i++) {
                assertThat(PackedProof.difference(together.get(":, :, " + 16 * i + ":" + 16 * (i + 1)), expected.get(i))).isNull();
            }
        }
    }

    @Test
    void anActivationFusedIntoTheProductIsTheActivationOfTheFloat64Product() {
        SoftAssertions softly = new SoftAssertions();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(12);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            int layer = 0;
            for (Activation.Function act : List.of(Activation.GELU, Activation.RELU, Activation.SILU, Activation.QUICK_GELU)) {
                for (long[] s : new long[][] {{4096, 256, 1024}, {3, 40, 24}}) {
                    for (boolean biased : new boolean[] {true, false}) {
                        Parameters lp = p.child("layer" + layer++);
                        Linear linear = new Linear(lp, s[1], s[2], biased);
                        NDArray weight = lp.get("weight", s[2], s[1]).toType(DataType.FLOAT64, true);
                        NDArray bias = biased ? lp.get("bias", s[2]).toType(DataType.FLOAT64, true) : null;
                        NDArray x = m.randomNormal(new Shape(2, s[0], s[1]));
                        NDArray x64 = x.toType(DataType.FLOAT64, true);
                        NDArray product = bias == null ? ai.djl.nn.core.Linear.linear(x64, weight).singletonOrThrow()
                                : ai.djl.nn.core.Linear.linear(x64, weight, bias).singletonOrThrow();
                        NDArray expected = act.apply(product).toType(DataType.FLOAT32, true);
                        String name = String.format("%s after %d rows, %d -> %d%s", act.name(), s[0], s[1], s[2], biased ? ", biased" : "");
                        // twice: the first call proves the fused kernel for the shape, the second uses it unchecked
                        for (int call = 0; call < 2; call++) {
                            NDArray actual = linear.forward(x, act);
                            softly.assertThat(PackedProof.difference(actual, expected))
                                    .as("%s, call %d (packed %s, fell back %s)", name, call, linear.isPacked(), linear.fellBack()).isNull();
                        }
                        if (2 * s[0] * s[1] * s[2] >= Linear.MIN_PACKED_PRODUCT && Kernels.linearPacking() == null
                                && Boolean.parseBoolean(System.getProperty(Linear.PACKED_PROPERTY, "true"))) {
                            softly.assertThat(linear.isPacked() || linear.fellBack()).as("%s packed or fell back", name).isTrue();
                        }
                        // the plain product of the same layer and shape is proven on its own
                        softly.assertThat(PackedProof.difference(linear.forward(x), product.toType(DataType.FLOAT32, true)))
                                .as("%s without the activation", name).isNull();
                    }
                }
            }
        }
        softly.assertAll();
    }
}
