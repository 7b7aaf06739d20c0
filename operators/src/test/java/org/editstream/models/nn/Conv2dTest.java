package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;
import org.editstream.models.ResidentMemory;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class Conv2dTest {
    @Test
    void packedWeightsGiveLibtorchsConvolutionAtEverySizeAndTheDenseCopyIsReleased() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(6);
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            // kernel, stride, padding, in, out, biased; then inputs of several sizes, the first of which the weights
            // are packed for
            int[][] layers = {{3, 1, 1, 40, 48, 1}, {3, 2, 1, 40, 48, 1}, {3, 2, 0, 12, 12, 1}, {1, 1, 0, 24, 16, 1},
                    {3, 1, 1, 4, 32, 1}, {2, 2, 0, 3, 20, 0}};
            long[][] sizes = {{2, 16, 12}, {1, 5, 3}, {3, 7, 9}, {2, 16, 12}};
            for (int i = 0; i < layers.length; i++) {
                int[] l = layers[i];
                Parameters lp = p.child("layer" + i);
                Conv2d conv = new Conv2d(lp, l[3], l[4], l[0], l[1], l[2], l[5] == 1);
                NDArray weight = lp.get("weight", l[4], l[3], l[0], l[0]);
                NDArray dense = weight.duplicate();
                NDArray bias = l[5] == 1 ? lp.get("bias", l[4]) : null;
                assertThat(conv.isPacked()).isFalse();
                for (long[] s : sizes) {
                    NDArray x = m.randomNormal(new Shape(s[0], l[3], s[1], s[2]));
                    NDArray expected = kernel(x, dense, bias, l[1], l[2]);
                    NDArray actual = conv.forward(x);
                    assertThat(actual.getShape()).as("layer %d at %s", i, x.getShape()).isEqualTo(expected.getShape());
                    assertThat(difference(actual, expected)).as("layer %d at %s", i, x.getShape()).isLessThan(1e-5f);
                }
                assertThat(conv.isPacked()).isTrue();
                assertThat(m.getManagedArrays().stream().noneMatch(a -> a == weight)).as("the dense weights, released once packed").isTrue();
            }
        }
    }

    @Test
    void packedConvolutionsLeaveNothingInTheWeightsManager() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        try (NDManager weights = NDManager.newBaseManager(); NDManager activations = NDManager.newBaseManager()) {
            Conv2d conv = new Conv2d(WeightSet.random(weights, DataType.FLOAT32).root(), 8, 8, 3, 1, 1);
            conv.forward(activations.randomNormal(new Shape(1, 8, 6, 6))); // packs
            int held = weights.getManagedArrays().size();
            NDArray out = conv.forward(activations.randomNormal(new Shape(2, 8, 5, 7)));
            assertThat(out.getManager()).isSameAs(activations);
            assertThat(out.getShape()).isEqualTo(new Shape(2, 8, 5, 7));
            assertThat(weights.getManagedArrays()).hasSize(held);
        }
    }

    @Test
    void packingKeepsOneCopyOfTheWeightsResident() {
        assumeTrue(Kernels.convolutionPacking() == null, () -> "this libtorch packs no convolutions: " + Kernels.convolutionPacking());
        assumeTrue(ResidentMemory.kib() > 0, "no /proc/self/status to read resident memory from");
        NativeAllocator.tune(); // as a pipeline does when it loads
        try (NDManager m = NDManager.newBaseManager()) {
            // eight 3x3 convolutions of 1024 channels: 8 x 36 MB of weights, each block below glibc's mmap threshold
            // as the engine tunes it, so heap memory that only a trim hands back
            Parameters p = WeightSet.random(m, DataType.FLOAT32).root();
            java.util.List<Conv2d> convs = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                convs.add(new Conv2d(p.child("conv" + i), 1024, 1024, 3, 1, 1));
            }
            NDArray x = m.randomNormal(new Shape(1, 1024, 2, 2));
            long before = ResidentMemory.kib();
            for (Conv2d conv : convs) {
                conv.forward(x).close();
            }
            long growth = ResidentMemory.kib() - before;
            System.out.println("resident growth packing 302 MB of weights: " + growth / 1024 + " MB");
            // keeping the dense copies (or their pages) would add about 302 MB
            assertThat(growth).as("resident growth, KiB").isLessThan(96 * 1024);
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
                java.util.List<Future<float[]>> results = new java.util.ArrayList<>();
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
                    NDArray actual = m.create(result.get(), expected.getShape());
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
            Conv2d reference = new Conv2d(single, 6, 10, 3, 1, 1);
            NDArray weight = single.get("weight", 10, 6, 3, 3).toType(DataType.FLOAT64, false);
            NDArray bias = single.get("bias", 10).toType(DataType.FLOAT64, false);
            Conv2d doubled = new Conv2d(new Fixed(weight, bias), 6, 10, 3, 1, 1);
            NDArray x = m.randomNormal(new Shape(1, 6, 9, 7));
            NDArray out = doubled.forward(x.toType(DataType.FLOAT64, false));
            assertThat(doubled.isPacked()).isFalse();
            assertThat(out.getDataType()).isEqualTo(DataType.FLOAT64);
            assertThat(difference(out.toType(DataType.FLOAT32, false), reference.forward(x))).isLessThan(1e-5f);
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

    private static NDArray kernel(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, new Shape(stride, stride), new Shape(padding, padding),
                new Shape(1, 1), 1).singletonOrThrow();
    }

    private static float difference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
