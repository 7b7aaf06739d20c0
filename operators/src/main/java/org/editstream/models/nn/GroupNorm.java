package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * Group normalisation of NCHW (or NC...) activations with a per-channel scale and shift. DJL's PyTorch
 * engine does not expose torch's group_norm, so it is composed: statistics over [N, groups, rest], biased
 * variance, as torch computes them.
 */
public final class GroupNorm {
    private final int groups;
    private final long channels;
    private final float eps;
    private final NDArray weight;
    private final NDArray bias;

    public GroupNorm(Parameters p, int groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(p.path("") + ": " + channels + " channels do not split into " + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = (float) eps;
        NDArray w = p.get("weight", channels);
        NDArray b = p.get("bias", channels);
        this.weight = w == null ? null : w.reshape(channels, 1, 1);
        this.bias = b == null ? null : b.reshape(channels, 1, 1);
    }

    /** Input [N, C, H, W]. */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        NDArray grouped = x.reshape(shape.get(0), groups, -1);
        NDArray centered = grouped.sub(grouped.mean(new int[] {2}, true));
        NDArray variance = centered.square().mean(new int[] {2}, true);
        NDArray normed = centered.div(variance.add(eps).sqrt()).reshape(shape);
        return normed.mul(weight).add(bias);
    }

    public long channels() {
        return channels;
    }
}
