package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * 2-D convolution, NCHW; {@code weight} [out, in, k, k], {@code bias} [out].
 *
 * <p>On a CPU, a convolution whose weights outweigh its input's patches by {@link #WEIGHT_BOUND} or more (many
 * channels at a small resolution: SD's 1280- and 2560-channel convolutions at 4x4 and 8x8) is one matrix
 * product over the patches: oneDNN's convolution kernel spends its time on the weights there (a [2, 2560, 4, 4]
 * to 1280-channel 3x3 convolution took 70 ms, the product 24 ms; at 8x8, 98 and 56 ms), while it is the faster
 * of the two wherever the activations dominate (a [2, 320, 32, 32] one: 21 ms against 29 ms).
 */
public final class Conv2d {
    /** Weight elements per patch element from which the matrix product is used. */
    static final long WEIGHT_BOUND = 4;

    private final NDArray weight;
    /** The weights as the matrix [out, in * k * k] (a view, made once: an operation on the weights would leave its
     * result in their long-lived manager). */
    private final NDArray weightMatrix;
    private final NDArray bias;
    private final int kernel;
    private final int strideSize;
    private final int paddingSize;
    private final Shape stride;
    private final Shape padding;

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding) {
        this.weight = p.get("weight", out, in, kernel, kernel);
        this.weightMatrix = weight == null ? null : weight.reshape(out, in * kernel * kernel);
        this.bias = p.get("bias", out);
        this.kernel = kernel;
        this.strideSize = stride;
        this.paddingSize = padding;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    public NDArray forward(NDArray x) {
        if (weightBound(x)) {
            return Kernels.convolutionAsMatmul(x, weightMatrix, bias, kernel, strideSize, paddingSize);
        }
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** Whether x's convolution is dominated by the weights, on a CPU. */
    boolean weightBound(NDArray x) {
        if (kernel == 1 || x.getDevice().isGpu()) {
            return false;
        }
        Shape s = x.getShape();
        long rows = (s.get(2) + 2L * paddingSize - kernel) / strideSize + 1;
        long columns = (s.get(3) + 2L * paddingSize - kernel) / strideSize + 1;
        long patches = s.get(0) * s.get(1) * kernel * kernel * rows * columns;
        return weight.getShape().size() >= WEIGHT_BOUND * patches;
    }
}
