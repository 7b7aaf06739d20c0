package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import org.editstream.models.Parameters;

import java.util.ArrayList;
import java.util.List;

/** y = x W^T + b over the last axis; {@code weight} [out, in], {@code bias} [out] when present. */
public final class Linear {
    private final NDArray weight;
    private final NDArray bias;

    public Linear(Parameters p, long in, long out, boolean bias) {
        this(p.get("weight", out, in), bias ? p.get("bias", out) : null);
    }

    private Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    /**
     * Layers that read the same input as one: their weights stacked along the output axis (in the given order), so the
     * input is read by one matrix product whose output the caller slices. The stored arrays are freed once stacked.
     */
    public static Linear stacked(List<Parameters> layers, long in, long outEach, boolean bias) {
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> biases = new ArrayList<>();
        for (Parameters p : layers) {
            weights.add(p.get("weight", outEach, in));
            biases.add(bias ? p.get("bias", outEach) : null);
        }
        if (weights.get(0) == null) { // recording the layout
            return new Linear(null, null);
        }
        NDArray weight = NDArrays.concat(new NDList(weights), 0);
        NDArray b = bias ? NDArrays.concat(new NDList(biases), 0) : null;
        weights.forEach(NDArray::close);
        if (bias) {
            biases.forEach(NDArray::close);
        }
        return new Linear(weight, b);
    }

    /**
     * A biased 1x1 convolution's weights ([out, in, 1, 1], as stored) as the linear layer it is over channels-last
     * tokens: [B, H*W, in] to [B, H*W, out] is one matrix product, where the convolution over [B, in, H, W] is a
     * slower kernel and the tokens need a transposing copy after it anyway.
     */
    public static Linear pointwiseConvolution(Parameters p, long in, long out) {
        NDArray weight = p.get("weight", out, in, 1, 1);
        return new Linear(weight == null ? null : weight.reshape(out, in), p.get("bias", out));
    }

    public NDArray forward(NDArray x) {
        return bias == null ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
