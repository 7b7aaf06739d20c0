package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Mask-based attention control (Prompt-to-Prompt with an external mask), exactly as
 * {@code shared/specs/attention-control.md} states it. The UNet batch is [uncond_S, uncond_T, cond_S, cond_T];
 * only cond_T is edited: its cross-attention probabilities come from cond_S's through the token mapping for
 * the first {@code floor(Nc N)} steps, its self-attention probabilities are cond_S's for the first
 * {@code floor(Ns N)} steps (layers with at most {@code selfMaxTokens} queries), and from step
 * {@code floor(b N)} on the target latents outside the mask are reset to the source's after every step.
 * One instance serves one generation (it counts steps).
 */
public final class PromptToPrompt implements UNetHooks {
    public enum Mode { REFINE, REPLACE }

    /** Nc, Ns, b as fractions of the steps; selfMaxTokens limits self-attention injection (1024 by default). */
    public record Settings(Mode mode, double crossFraction, double selfFraction, double blendFrom, int steps,
                           long selfMaxTokens) {
        public Settings {
            for (double f : new double[] {crossFraction, selfFraction, blendFrom}) {
                if (f < 0 || f > 1) {
                    throw new IllegalArgumentException("fractions must lie in [0, 1]: " + crossFraction + ", "
                            + selfFraction + ", " + blendFrom);
                }
            }
        }

        int crossSteps() {
            return (int) Math.floor(crossFraction * steps);
        }

        int selfSteps() {
            return (int) Math.floor(selfFraction * steps);
        }

        int blendStep() {
            return (int) Math.floor(blendFrom * steps);
        }
    }

    private static final int SOURCE = 2;
    private static final int TARGET = 3;

    private final Settings settings;
    // on the latent mask's manager, made once per generation (the mask's manager must outlive it)
    private final NDArray mapper;
    private final NDArray alphas;
    private final NDArray replacement;
    private final NDArray mask;
    private int step;
    private int edits;

    /**
     * @param alignment    REFINE's token alignment (null in REPLACE mode)
     * @param replacement  REPLACE's word-swap matrix (null in REFINE mode)
     * @param latentMask   the mask at latent resolution [1, 1, h, w] in [0, 1] (see {@link #latentMask}); its
     *                     manager holds the controller's arrays and must stay open while it runs
     */
    public PromptToPrompt(Settings settings, TokenAlignment.Refine alignment, float[][] replacement, NDArray latentMask) {
        this.settings = settings;
        if (settings.mode() == Mode.REFINE && alignment == null || settings.mode() == Mode.REPLACE && replacement == null) {
            throw new IllegalArgumentException(settings.mode() + " needs its token mapping");
        }
        NDManager owner = latentMask.getManager();
        this.mapper = alignment == null ? null : owner.create(alignment.mapper()).toType(DataType.INT64, false);
        this.alphas = alignment == null ? null : owner.create(alignment.alphas());
        this.replacement = replacement == null ? null : owner.create(replacement);
        this.mask = latentMask;
    }

    /** The mask resized to the latent grid by area averaging (torch's adaptive average pooling); soft values kept. */
    public static NDArray latentMask(NDManager manager, float[] mask, int height, int width, int latentHeight, int latentWidth) {
        float[] out = new float[latentHeight * latentWidth];
        for (int i = 0; i < latentHeight; i++) {
            int y0 = (int) Math.floor((double) i * height / latentHeight);
            int y1 = (int) Math.ceil((double) (i + 1) * height / latentHeight);
            for (int j = 0; j < latentWidth; j++) {
                int x0 = (int) Math.floor((double) j * width / latentWidth);
                int x1 = (int) Math.ceil((double) (j + 1) * width / latentWidth);
                double sum = 0;
                for (int y = y0; y < y1; y++) {
                    for (int x = x0; x < x1; x++) {
                        sum += mask[y * width + x];
                    }
                }
                out[i * latentWidth + j] = (float) (sum / ((y1 - y0) * (x1 - x0)));
            }
        }
        return manager.create(out, new Shape(1, 1, latentHeight, latentWidth));
    }

    public Settings settings() {
        return settings;
    }

    /** How many layer-steps were edited so far (the spec's {@code attention_edits_applied}). */
    public int editsApplied() {
        return edits;
    }

    @Override
    public void beginStep(int index, long timestep) {
        step = index;
    }

    /** Only the layers this step edits: cross-attention for the first Nc steps, small enough self-attention for Ns. */
    @Override
    public boolean readsProbabilities(AttentionSite site) {
        return site.cross() ? step < settings.crossSteps()
                : step < settings.selfSteps() && site.queryLength() <= settings.selfMaxTokens();
    }

    /** Edits cond_T's probabilities in place, from cond_S's, in the layers and steps the settings say. */
    @Override
    public NDArray probabilities(AttentionSite site, NDArray p) {
        if (p.getShape().get(0) != 4) {
            throw new IllegalStateException("attention control needs the batch [uncond_S, uncond_T, cond_S, cond_T], got "
                    + p.getShape());
        }
        NDArray edited = editedTarget(site, p.get(SOURCE), p.get(TARGET));
        if (edited != null) {
            p.set(new NDIndex(TARGET), edited);
        }
        return p;
    }

    /**
     * cond_T's new probabilities [heads, Tq, Tk] from cond_S's and its own in this layer and step, or null when
     * this layer is left alone (counted in {@link #editsApplied()} when edited).
     */
    NDArray editedTarget(AttentionSite site, NDArray source, NDArray target) {
        NDArray edited;
        if (site.cross()) {
            if (step >= settings.crossSteps()) {
                return null;
            }
            if (settings.mode() == Mode.REFINE) {
                NDArray copied = source.get(new NDIndex(":, :, {}", mapper));
                NDArray alpha = alphas.toType(source.getDataType(), false);
                edited = copied.mul(alpha).add(target.mul(alpha.neg().add(1f)));
            } else {
                edited = source.matMul(replacement.toType(source.getDataType(), false));
            }
        } else {
            if (step >= settings.selfSteps() || site.queryLength() > settings.selfMaxTokens()) {
                return null;
            }
            edited = source;
        }
        edits++;
        return edited;
    }

    /** Latent blending: x_T := x_S + m (x_T - x_S) from the blend step on; latents are [x_S, x_T]. */
    @Override
    public NDArray endStep(int index, NDArray latents) {
        if (index < settings.blendStep()) {
            return latents;
        }
        NDArray m = mask.toType(latents.getDataType(), false);
        NDArray source = latents.get("0:1");
        NDArray target = source.add(latents.get("1:2").sub(source).mul(m));
        return source.concat(target, 0);
    }
}
