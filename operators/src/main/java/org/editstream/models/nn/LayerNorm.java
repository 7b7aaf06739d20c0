package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/** Layer normalisation over the last axis with a learned scale and shift. */
public final class LayerNorm {
    private final NDArray weight;
    private final NDArray bias;
    private final Shape shape;
    private final float eps;

    public LayerNorm(Parameters p, long dim, double eps) {
        this.weight = p.get("weight", dim);
        this.bias = p.get("bias", dim);
        this.shape = new Shape(dim);
        this.eps = (float) eps;
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, shape, weight, bias, eps).singletonOrThrow();
    }
}
