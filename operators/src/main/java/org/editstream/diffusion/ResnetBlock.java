package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.GroupNorm;
import org.editstream.models.nn.Linear;

/**
 * diffusers' {@code ResnetBlock2D} with the default time-embedding shift: norm, SiLU, 3x3 conv, plus the
 * projected time embedding (UNet only), norm, SiLU, 3x3 conv; a 1x1 shortcut when the width changes.
 */
final class ResnetBlock {
    private final String site;
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeProjection;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d shortcut;
    private final float outputScale;

    /** @param timeChannels width of the time embedding, or 0 for none (the VAE) */
    ResnetBlock(Parameters p, String site, long in, long out, long timeChannels, int groups, double eps, double outputScale) {
        this.site = site;
        this.norm1 = new GroupNorm(p.child("norm1"), groups, in, eps);
        this.conv1 = new Conv2d(p.child("conv1"), in, out, 3, 1, 1);
        this.timeProjection = timeChannels > 0 ? new Linear(p.child("time_emb_proj"), timeChannels, out, true) : null;
        this.norm2 = new GroupNorm(p.child("norm2"), groups, out, eps);
        this.conv2 = new Conv2d(p.child("conv2"), out, out, 3, 1, 1);
        this.shortcut = in != out ? new Conv2d(p.child("conv_shortcut"), in, out, 1, 1, 0) : null;
        this.outputScale = (float) outputScale;
    }

    /** @param time the time embedding [B, T] (already through nothing: SiLU is applied here), or null */
    NDArray forward(NDArray x, NDArray time, UNetHooks hooks) {
        // the block's intermediates are freed when it returns, so the next block reuses their memory
        return time == null ? Scoped.apply(in -> compute(in[0], null, hooks), x)
                : Scoped.apply(in -> compute(in[0], in[1], hooks), x, time);
    }

    private NDArray compute(NDArray x, NDArray time, UNetHooks hooks) {
        // each intermediate is closed once the next one is made: at 512x512 in the VAE each is hundreds of megabytes
        NDArray normed = norm1.forwardSilu(x);
        NDArray h = conv1.forward(normed);
        normed.close();
        if (timeProjection != null) {
            NDArray t = timeProjection.forward(Activation.silu(time));
            h.addi(t.expandDims(2).expandDims(3));
        }
        normed = norm2.forwardSilu(h);
        h.close();
        h = conv2.forward(normed);
        normed.close();
        h = hooks.resnetResidual(site, h);
        NDArray sum = shortcut == null ? x.add(h) : shortcut.forward(x).addi(h);
        return outputScale == 1f ? sum : sum.divi(outputScale);
    }
}
