package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Group normalisation of NCHW (or NC...) activations with a per-channel scale and shift. DJL's PyTorch
 * engine does not expose torch's group_norm, so the activations seen as [N, groups, rest] go through layer
 * normalisation over {@code rest} (per-group mean and biased variance, one fused kernel), then the per-channel
 * affine is applied in place.
 */
public final class GroupNorm {
    /** Layer norm's identity scale and shift for a length: read-only, made once per length, type and device. */
    private record Identity(long length, DataType type, String device) {
    }

    private static final Map<Identity, NDArray[]> IDENTITIES = new ConcurrentHashMap<>();
    private static final NDManager IDENTITY_ARRAYS = NDManager.newBaseManager();

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
        long rest = shape.size() / (shape.get(0) * groups);
        NDArray[] identity = IDENTITIES.computeIfAbsent(new Identity(rest, x.getDataType(), x.getDevice().toString()),
                k -> new NDArray[] {
                        IDENTITY_ARRAYS.ones(new Shape(rest), k.type(), x.getDevice()),
                        IDENTITY_ARRAYS.zeros(new Shape(rest), k.type(), x.getDevice())});
        NDArray normed = ai.djl.nn.norm.LayerNorm.layerNorm(x.reshape(shape.get(0), groups, rest), new Shape(rest),
                identity[0], identity[1], eps).singletonOrThrow().reshape(shape);
        if (weight != null) {
            normed.muli(weight);
        }
        if (bias != null) {
            normed.addi(bias);
        }
        return normed;
    }

    public long channels() {
        return channels;
    }
}
