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
    private final int[] mapper;
    private final float[] alphas;
    private final float[][] replacement;
    private final float[] mask;
    private final Shape maskShape;
    private int step;
    private int edits;

    /**
     * @param alignment    REFINE's token alignment (null in REPLACE mode)
     * @param replacement  REPLACE's word-swap matrix (null in REFINE mode)
     * @param latentMask   the mask at latent resolution [1, 1, h, w] in [0, 1] (see {@link #latentMask})
     */
    public PromptToPrompt(Settings settings, TokenAlignment.Refine alignment, float[][] replacement, NDArray latentMask) {
        this.settings = settings;
        if (settings.mode() == Mode.REFINE && alignment == null || settings.mode() == Mode.REPLACE && replacement == null) {
            throw new IllegalArgumentException(settings.mode() + " needs its token mapping");
        }
        this.mapper = alignment == null ? null : alignment.mapper();
        this.alphas = alignment == null ? null : alignment.alphas();
        this.replacement = replacement;
        this.mask = latentMask.toType(DataType.FLOAT32, false).toFloatArray();
        this.maskShape = latentMask.getShape();
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

    @Override
    public NDArray probabilities(AttentionSite site, NDArray p) {
        if (p.getShape().get(0) != 4) {
            throw new IllegalStateException("attention control needs the batch [uncond_S, uncond_T, cond_S, cond_T], got "
                    + p.getShape());
        }
        NDArray edited;
        if (site.cross()) {
            if (step >= settings.crossSteps()) {
                return p;
            }
            NDArray source = p.get(SOURCE);
            if (settings.mode() == Mode.REFINE) {
                NDManager m = p.getManager();
                NDArray index = m.create(mapper).toType(DataType.INT64, false);
                NDArray copied = source.get(new NDIndex(":, :, {}", index));
                NDArray alpha = m.create(alphas).toType(p.getDataType(), false);
                edited = copied.mul(alpha).add(p.get(TARGET).mul(alpha.neg().add(1f)));
            } else {
                edited = source.matMul(p.getManager().create(replacement).toType(p.getDataType(), false));
            }
        } else {
            if (step >= settings.selfSteps() || site.queryLength() > settings.selfMaxTokens()) {
                return p;
            }
            edited = p.get(SOURCE);
        }
        edits++;
        return p.get("0:" + TARGET).concat(edited.expandDims(0), 0);
    }

    /** Latent blending: x_T := x_S + m (x_T - x_S) from the blend step on; latents are [x_S, x_T]. */
    @Override
    public NDArray endStep(int index, NDArray latents) {
        if (index < settings.blendStep()) {
            return latents;
        }
        NDArray m = latents.getManager().create(mask, maskShape).toType(latents.getDataType(), false);
        NDArray source = latents.get("0:1");
        NDArray target = source.add(latents.get("1:2").sub(source).mul(m));
        return source.concat(target, 0);
    }
}
