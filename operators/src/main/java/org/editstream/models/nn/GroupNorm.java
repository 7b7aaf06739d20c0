package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * Group normalisation of NCHW (or NC...) activations with a per-channel scale and shift. DJL's PyTorch
 * engine does not expose torch's group_norm, so it is computed as torch once did: the activations seen as
 * [1, N x groups, rest] go through batch normalisation in training mode (per-"channel" mean and biased
 * variance over the rest, in one fused kernel), then the per-channel affine is applied.
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
        long rows = shape.get(0) * groups;
        NDManager m = x.getManager();
        Shape stats = new Shape(rows);
        // the running statistics batch norm updates in training mode are scratch here, made per call
        NDArray normed = x.getNDArrayInternal().batchNorm(x.reshape(1, rows, -1), m.zeros(stats, x.getDataType()),
                m.ones(stats, x.getDataType()), m.ones(stats, x.getDataType()), m.zeros(stats, x.getDataType()),
                -1, 0f, eps, true).singletonOrThrow().reshape(shape);
        return normed.mul(weight).add(bias);
    }

    public long channels() {
        return channels;
    }
}
