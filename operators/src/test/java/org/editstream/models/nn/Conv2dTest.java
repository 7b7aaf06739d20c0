package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.assertj.core.api.SoftAssertions;
import org.editstream.models.Parameters;
import org.editstream.models.ResidentMemory;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Conv2dTest {
    /** Input channels that are and are not multiples of 8 and of 16. */
    private static final int[] INPUT_CHANNELS = {3, 8, 12, 16, 24, 32, 33, 40, 48, 64};
    private static final int[] OUTPUT_CHANNELS = {48, 20, 32, 40, 4};
    /** Batch, height, width: the first is the size the weights are packed for, and it comes back last. */
    private static final long[][] SIZES = {{2, 16, 12}, {1, 5, 3}, {8, 7, 9}, {1, 1, 1}, {2, 9, 16}, {2, 16, 12}};

    @Test
    void everyLayerEqualsTheFloat64ConvolutionAtEveryShape() {
        SoftAssertions softly = new SoftAssertions();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(6);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            int layer = 0;
            for (int in : INPUT_CHANNELS) {
                for (int kernel : new int[] {1, 3}) {
                    for (int stride : new int[] {1, 2}) {
                        for (boolean biased : new boolean[] {true, false}) {
                            int out = OUTPUT_CHANNELS[layer % OUTPUT_CHANNELS.length];
                            int padding = kernel / 2;
                            Parameters lp = p.child("layer" + layer++);
                            Conv2d conv = new Conv2d(lp, in, out, kernel, stride, padding, biased);
                            NDArray dense = lp.get("weight", out, in, kernel, kernel).duplicate();
                            NDArray bias = biased ? lp.get("bias", out) : null;
                            String name = String.format("%d -> %d, %dx%d, stride %d, %s", in, out, kernel, kernel, stride,
                                    biased ? "biased" : "unbiased");
                            for (long[] s : SIZES) {
                                NDArray x = m.randomNormal(new Shape(s[0], in, s[1], s[2]));
                                NDArray expected = kernel(x, dense, bias, stride, padding);
                                NDArray actual = conv.forward(x);
                                softly.assertThat(actual.getShape()).as("%s at %s", name, x.getShape()).isEqualTo(expected.getShape());
                                if (actual.getShape().equals(expected.getShape())) {
                                    softly.assertThat(difference(actual, expected)).as("%s at %s", name, x.getShape()).isLessThan(1e-5f);
                                }
                            }
                            softly.assertThat(conv.padsChannels()).as("%s pads its input channels", name)
                                    .isEqualTo(in > Conv2d.FEW_CHANNELS && in % Conv2d.CHANNEL_BLOCK != 0);
                            if (Kernels.convolutionPacking() == null) {
                                softly.assertThat(conv.isPacked()).as("%s packed", name).isTrue();
                                softly.assertThat(conv.fellBack()).as("%s fell back after a mismatch", name).isFalse();
                            }
                        }
                    }
                }
            }
        }
        softly.assertAll();
    }

    @Test
    void denseWeightsOnPartialChannelBlocksAreRightToo() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            String before = System.getProperty(Conv2d.PACKED_PROPERTY);
            System.setProperty(Conv2d.PACKED_PROPERTY, "false");
            SoftAssertions softly = new SoftAssertions();
            try {
                for (int in : INPUT_CHANNELS) {
                    Parameters lp = p.child("dense" + in);
                    Conv2d conv = new Conv2d(lp, in, 20, 3, 1, 1);
                    for (long[] s : SIZES) {
                        NDArray x = m.randomNormal(new Shape(s[0], in, s[1], s[2]));
                        NDArray expected = kernel(x, lp.get("weight", 20, in, 3, 3), lp.get("bias", 20), 1, 1);
                        softly.assertThat(difference(conv.forward(x), expected)).as("%d channels at %s", in, x.getShape()).isLessThan(1e-5f);
                    }
                    softly.assertThat(conv.isPacked()).isFalse();
                }
            } finally {
                restore(before);
            }
            softly.assertAll();
        }
    }

    @Test
    void aPackedResultThatDiffersFromTheReferenceFallsBackToTheReference() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        Shape wrongAt = new Shape(1, 16, 5, 3);
        // oneDNN's kernel, but one value off at one input shape: what a kernel bug on one CPU looks like
        Conv2d.PackedKernel offByOneValue = new Conv2d.PackedKernel() {
            @Override
            public TorchScript.Value pack(NDArray weight, NDArray bias, int stride, int padding, Shape input) {
                return Conv2d.PackedKernel.ONEDNN.pack(weight, bias, stride, padding, input);
            }

            @Override
            public NDArray run(NDArray x, TorchScript.Value packed) {
                NDArray out = Conv2d.PackedKernel.ONEDNN.run(x, packed);
                if (x.getShape().equals(wrongAt)) {
                    out.set(new ai.djl.ndarray.index.NDIndex("0, 3, 2, 1"), out.get(0, 3, 2, 1).getFloat() + 0.25f);
                }
                return out;
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(7);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            Conv2d conv = new Conv2d(p, 16, 24, 3, 1, 1, true, offByOneValue);
            NDArray weight = p.get("weight", 24, 16, 3, 3);
            NDArray bias = p.get("bias", 24);
            Conv2d.Census before = Conv2d.census();

            NDArray first = m.randomNormal(new Shape(2, 16, 8, 8));
            assertThat(difference(conv.forward(first), kernel(first, weight, bias, 1, 1))).isLessThan(1e-5f);
            assertThat(conv.isPacked()).isTrue();
            assertThat(Conv2d.census().packed()).isEqualTo(before.packed() + 1);

            NDArray x = m.randomNormal(wrongAt);
            assertThat(difference(conv.forward(x), kernel(x, weight, bias, 1, 1))).as("the reference result, not the wrong one").isLessThan(1e-5f);
            assertThat(conv.isPacked()).isFalse();
            assertThat(conv.fellBack()).isTrue();
            assertThat(Conv2d.census().fellBack()).isEqualTo(before.fellBack() + 1);
            assertThat(Conv2d.census().packed()).isEqualTo(before.packed());
            // the layer stays on the reference, at the shape it had proven too
            assertThat(difference(conv.forward(first), kernel(first, weight, bias, 1, 1))).isLessThan(1e-5f);
            assertThat(conv.forward(x).get(0, 3, 2, 1).getFloat()).isCloseTo(kernel(x, weight, bias, 1, 1).get(0, 3, 2, 1).getFloat(),
                    org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void theCheckCountsNaNAndRelativeDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = m.create(new float[] {1f, 1f, Float.NaN, 0f});
            assertThat(PackedProof.difference(m.create(new float[] {1.0001f, 1f, Float.NaN, 0f}), expected)).isNull();
            assertThat(PackedProof.difference(m.create(new float[] {1f, 1f, Float.NaN, Float.NaN}), expected)).startsWith("1 of 4 values");
            assertThat(PackedProof.difference(m.create(new float[] {1f, 1.001f, Float.NaN, 0f}), expected)).startsWith("1 of 4 values");
            assertThat(PackedProof.difference(m.create(new float[] {1f, 1f, 0f}), expected)).startsWith("shape");
            // rounding scales with the values summed, so the mean magnitude widens the bound of small values
            NDArray mixed = m.create(new float[] {100f, 0f});
            assertThat(PackedProof.difference(m.create(new float[] {100f, 0.0049f}), mixed)).isNull();
            assertThat(PackedProof.difference(m.create(new float[] {100f, 0.02f}), mixed)).startsWith("1 of 2 values");
        }
    }

    @Test
    void theDenseWeightsArePackedOnlyWhenPackingIsOn() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        try (NDManager m = NDManager.newBaseManager()) {
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            String before = System.getProperty(Conv2d.PACKED_PROPERTY);
            Conv2d off;
            System.setProperty(Conv2d.PACKED_PROPERTY, "false");
            try {
                off = new Conv2d(p.child("off"), 16, 16, 3, 1, 1);
            } finally {
                restore(before);
            }
            Conv2d on = new Conv2d(p.child("on"), 16, 16, 3, 1, 1);
            NDArray x = m.randomNormal(new Shape(1, 16, 6, 6));
            off.forward(x);
            on.forward(x);
            assertThat(off.isPacked()).isFalse();
            assertThat(on.isPacked()).isTrue();
        }
    }

    @Test
    void packedConvolutionsLeaveNothingInTheWeightsManager() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        try (NDManager weights = NDManager.newBaseManager(); NDManager activations = NDManager.newBaseManager()) {
            Conv2d conv = new Conv2d(WeightSet.random(weights, DataType.FLOAT32).root(), 16, 16, 3, 1, 1);
            conv.forward(activations.randomNormal(new Shape(1, 16, 6, 6))); // packs
            int held = weights.getManagedArrays().size();
            NDArray out = conv.forward(activations.randomNormal(new Shape(2, 16, 5, 7))); // proves a second shape
            out = conv.forward(activations.randomNormal(new Shape(2, 16, 5, 7)));
            assertThat(out.getManager()).isSameAs(activations);
            assertThat(out.getShape()).isEqualTo(new Shape(2, 16, 5, 7));
            assertThat(weights.getManagedArrays()).hasSize(held);
        }
    }

    @Test
    void packingAddsOnePackedCopyOfTheWeightsAndNothingPerCall() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        assumeTrue(ResidentMemory.kib() > 0, "no /proc/self/status to read resident memory from");
        try (NDManager m = NDManager.newBaseManager()) {
            // eight 3x3 convolutions of 1024 channels: 8 x 36 MB of weights
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            List<Conv2d> convs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                convs.add(new Conv2d(p.child("conv" + i), 1024, 1024, 3, 1, 1));
            }
            NDArray x = m.randomNormal(new Shape(1, 1024, 2, 2));
            long before = ResidentMemory.kib();
            for (Conv2d conv : convs) {
                conv.forward(x).close();
            }
            long packing = ResidentMemory.kib() - before;
            for (int call = 0; call < 10; call++) {
                for (Conv2d conv : convs) {
                    conv.forward(x).close();
                }
            }
            long calls = ResidentMemory.kib() - before - packing;
            System.out.println("resident growth packing 302 MB of weights: " + packing / 1024 + " MB, then 80 calls: " + calls / 1024 + " MB");
            // the packed copy is 302 MB; a second copy (or per-call reorders kept) would add hundreds more
            assertThat(packing).as("resident growth packing, KiB").isLessThan((302 + 96) * 1024);
            assertThat(calls).as("resident growth of the calls after it, KiB").isLessThan(48 * 1024);
        }
    }

    @Test
    void concurrentFirstCallsPackOnceAndAgree() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(8);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            Conv2d conv = new Conv2d(p, 16, 16, 3, 1, 1);
            NDArray dense = p.get("weight", 16, 16, 3, 3).duplicate();
            NDArray x = m.randomNormal(new Shape(2, 16, 12, 12));
            NDArray expected = kernel(x, dense, p.get("bias", 16), 1, 1);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> results = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    results.add(pool.submit(() -> {
                        try (NDManager request = NDManager.newBaseManager()) {
                            NDArray input = x.duplicate();
                            input.attach(request);
                            return conv.forward(input).toFloatArray();
                        }
                    }));
                }
                for (Future<float[]> result : results) {
                    NDArray actual = m.create(result.get(60, TimeUnit.SECONDS), expected.getShape());
                    assertThat(difference(actual, expected)).isLessThan(1e-5f);
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    void otherPrecisionsConvolveTheDenseWeights() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(9);
            Parameters single = WeightSet.random(m, DataType.FLOAT32).root();
            Conv2d reference = new Conv2d(single, 16, 10, 3, 1, 1);
            NDArray weight = single.get("weight", 10, 16, 3, 3).toType(DataType.FLOAT64, false);
            NDArray bias = single.get("bias", 10).toType(DataType.FLOAT64, false);
            Conv2d doubled = new Conv2d(new Fixed(weight, bias), 16, 10, 3, 1, 1);
            NDArray x = m.randomNormal(new Shape(1, 16, 9, 7));
            NDArray out = doubled.forward(x.toType(DataType.FLOAT64, false));
            assertThat(doubled.isPacked()).isFalse();
            assertThat(out.getDataType()).isEqualTo(DataType.FLOAT64);
            assertThat(difference(out.toType(DataType.FLOAT32, false), reference.forward(x))).isLessThan(1e-5f);
        }
    }

    @Test
    void largeInputsComputeOnTheDenseWeightsAndSmallOnesPack() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(12);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            Conv2d conv = new Conv2d(p, 16, 16, 3, 2, 1);
            NDArray dense = p.get("weight", 16, 16, 3, 3).duplicate();
            NDArray bias = p.get("bias", 16);
            // stride 2: 2 x 66 x 66 gives 2 x 33 x 33 = 2178 output positions, just above the limit; 2 x 64 x 64 is 2048
            NDArray large = m.randomNormal(new Shape(2, 16, 66, 66));
            assertThat(2 * 33 * 33).isGreaterThan((int) Conv2d.PACKED_MAX_POSITIONS);
            assertThat(PackedProof.difference(conv.forward(large), kernel(large, dense, bias, 2, 1))).isNull();
            assertThat(conv.isPacked()).as("packed after a call above the limit").isFalse();
            NDArray small = m.randomNormal(new Shape(2, 16, 64, 64));
            assertThat(PackedProof.difference(conv.forward(small), kernel(small, dense, bias, 2, 1))).isNull();
            if (Kernels.convolutionPacking() == null) {
                assertThat(conv.isPacked()).as("packed after a call at the limit").isTrue();
            }
            assertThat(PackedProof.difference(conv.forward(large), kernel(large, dense, bias, 2, 1))).isNull();
        }
    }

    @Test
    void theReferenceInBandsOfRowsEqualsTheFloat64Convolution() {
        SoftAssertions softly = new SoftAssertions();
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(11);
            // kernel, stride, padding: the UNet's and VAE's 3x3 and 1x1 layers, a stride-2 layer unpadded as the VAE
            // encoder's (it pads right and bottom itself), and a 5x5 with padding 2
            int[][] layers = {{3, 1, 1}, {1, 1, 0}, {3, 2, 1}, {3, 2, 0}, {5, 1, 2}};
            for (int[] l : layers) {
                for (boolean biased : new boolean[] {true, false}) {
                    NDArray weight = m.randomNormal(new Shape(6, 5, l[0], l[0]));
                    NDArray bias = biased ? m.randomNormal(new Shape(6)) : null;
                    for (long[] size : new long[][] {{2, 13, 9}, {1, 8, 7}, {3, 5, 5}}) {
                        NDArray x = m.randomNormal(new Shape(size[0], 5, size[1], size[2]));
                        NDArray expected = kernel(x, weight, bias, l[1], l[2]);
                        long perRow = size[0] * 5 * l[0] * l[0] * expected.getShape().get(3);
                        // one row a band, two (an uneven last band), a budget below one row, and all rows at once
                        for (long columns : new long[] {perRow, 2 * perRow, 1, Long.MAX_VALUE / 2}) {
                            NDArray actual = Kernels.referenceConvolution(x, weight, bias, l[1], l[2], columns);
                            String what = String.format("%dx%d stride %d padding %d %s at %s, %d columns", l[0], l[0], l[1],
                                    l[2], biased ? "biased" : "unbiased", x.getShape(), columns);
                            // within float32 rounding of the reference's sums (up to 125 terms here), shape included
                            softly.assertThat(PackedProof.difference(actual, expected)).as(what).isNull();
                        }
                    }
                }
            }
        }
        softly.assertAll();
    }

    private static void restore(String value) {
        if (value == null) {
            System.clearProperty(Conv2d.PACKED_PROPERTY);
        } else {
            System.setProperty(Conv2d.PACKED_PROPERTY, value);
        }
    }

    /** One weight and one bias, whatever the names. */
    private record Fixed(NDArray weight, NDArray bias) implements Parameters {
        @Override
        public NDArray get(String name, long... shape) {
            return name.equals("weight") ? weight : bias;
        }

        @Override
        public Parameters child(String name) {
            return this;
        }

        @Override
        public boolean has(String name) {
            return true;
        }

        @Override
        public String path(String name) {
            return name;
        }
    }

    /**
     * The convolution in float64, rounded to float32: libtorch computes it without oneDNN (im2col and a matrix
     * product), so it is independent of the kernels under test; its float32 result is within 1e-6 of a sum over the
     * kernel's taps on every layer here.
     */
    private static NDArray kernel(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x.toType(DataType.FLOAT64, false), weight.toType(DataType.FLOAT64, false),
                bias == null ? null : bias.toType(DataType.FLOAT64, false), new Shape(stride, stride), new Shape(padding, padding),
                new Shape(1, 1), 1).singletonOrThrow().toType(DataType.FLOAT32, false);
    }

    private static float difference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
