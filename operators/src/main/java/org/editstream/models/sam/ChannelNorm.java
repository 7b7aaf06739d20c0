package org.editstream.models.sam;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;
import org.editstream.models.nn.LayerNorm;

/** SAM's {@code LayerNorm2d}: layer normalisation over the channels of [B, C, H, W] at every pixel (eps 1e-6). */
final class ChannelNorm {
    private static final double EPS = 1e-6;
    private final LayerNorm norm;

    ChannelNorm(Parameters p, long channels) {
        this.norm = new LayerNorm(p, channels, EPS);
    }

    NDArray forward(NDArray x) {
        return norm.forward(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2);
    }
}
