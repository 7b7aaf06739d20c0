package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/** 2-D convolution, NCHW; {@code weight} [out, in, k, k], {@code bias} [out]. */
public final class Conv2d {
    private final NDArray weight;
    private final NDArray bias;
    private final Shape stride;
    private final Shape padding;

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding) {
        this.weight = p.get("weight", out, in, kernel, kernel);
        this.bias = p.get("bias", out);
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}
