package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;

/** y = x W^T + b over the last axis; {@code weight} [out, in], {@code bias} [out] when present. */
public final class Linear {
    private final NDArray weight;
    private final NDArray bias;

    public Linear(Parameters p, long in, long out, boolean bias) {
        this.weight = p.get("weight", out, in);
        this.bias = bias ? p.get("bias", out) : null;
    }

    public NDArray forward(NDArray x) {
        return bias == null ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
