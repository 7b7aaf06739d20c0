package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;

/**
 * Group normalisation of NCHW (or NC...) activations with a per-channel scale and shift: libtorch's group_norm
 * ({@link Kernels}; DJL does not expose it), normalisation and affine in one pass, and SiLU fused in place where
 * the model applies it next.
 */
public final class GroupNorm {
    private final int groups;
    private final long channels;
    private final double eps;
    private final NDArray weight;
    private final NDArray bias;

    public GroupNorm(Parameters p, int groups, long channels, double eps) {
        if (channels % groups != 0) {
            throw new IllegalArgumentException(p.path("") + ": " + channels + " channels do not split into " + groups + " groups");
        }
        this.groups = groups;
        this.channels = channels;
        this.eps = eps;
        this.weight = p.get("weight", channels);
        this.bias = p.get("bias", channels);
    }

    /** Input [N, C, H, W]. */
    public NDArray forward(NDArray x) {
        return Kernels.groupNorm(x, groups, weight, bias, eps, false);
    }

    /** SiLU of {@link #forward}, computed in place in the normalised array. */
    public NDArray forwardSilu(NDArray x) {
        return Kernels.groupNorm(x, groups, weight, bias, eps, true);
    }

    public long channels() {
        return channels;
    }
}
