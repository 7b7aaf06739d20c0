package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;

/**
 * Batch normalisation of [N, C, H, W] at inference: the running statistics and the affine parameters folded once into
 * a per-channel scale and shift. {@code num_batches_tracked}, which checkpoints carry, is taken when present and not used.
 */
public final class BatchNorm2d {
    private final NDArray scale;
    private final NDArray shift;

    public BatchNorm2d(Parameters p, long channels, double eps) {
        NDArray weight = p.get("weight", channels);
        NDArray bias = p.get("bias", channels);
        NDArray mean = p.get("running_mean", channels);
        NDArray variance = p.get("running_var", channels);
        if (p.has("num_batches_tracked")) {
            p.get("num_batches_tracked"); // a training counter checkpoints carry; taken so that it is not reported unused
        }
        if (weight == null) { // recording the layout
            this.scale = null;
            this.shift = null;
            return;
        }
        NDArray s = weight.div(variance.add((float) eps).sqrt());
        this.scale = s.reshape(1, channels, 1, 1);
        this.shift = bias.sub(mean.mul(s)).reshape(1, channels, 1, 1);
    }

    public NDArray forward(NDArray x) {
        return x.mul(scale).addi(shift);
    }
}
