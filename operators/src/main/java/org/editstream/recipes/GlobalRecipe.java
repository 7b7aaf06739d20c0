package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.Noise;
import org.editstream.diffusion.PromptToPrompt;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TokenAlignment;
import org.editstream.models.ImageTensors;
import org.editstream.schema.Task;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Global edits (Emu Edit's free-form task): the input image from the input caption and the edited image from
 * the output caption, generated together under attention control with a blank mask, so the edited image keeps
 * the input's layout. Parameters are drawn per candidate from the spec's ranges and recorded in the sample.
 */
public final class GlobalRecipe {
    /** The recipe name samples record. */
    public static final String NAME = "global-p2p";

    /** Nc and Ns in [0.4, 0.9], b in [0.1, 0.2] (the spec); guidance in [4, 8] (as local edits: CHOICE). */
    public static final double[] CROSS = {0.4, 0.9};
    public static final double[] SELF = {0.4, 0.9};
    public static final double[] BLEND = {0.1, 0.2};
    public static final double[] GUIDANCE = {4, 8};
    /** Self-attention layers with more queries than this are not injected (the spec's default, 32 x 32). */
    public static final long SELF_MAX_TOKENS = 32 * 32;

    private final StableDiffusion sd;
    private final int steps;
    private final int width;
    private final int height;

    public GlobalRecipe(StableDiffusion sd, int steps, int width, int height) {
        this.sd = sd;
        this.steps = steps;
        this.width = width;
        this.height = height;
    }

    public Task task() {
        return Task.GLOBAL;
    }

    /**
     * @param random this candidate's stream (from caption id, task and candidate index): it draws the
     *               parameters, then the seed of the shared initial noise
     */
    public EditPair make(String inputCaption, String outputCaption, SplittableRandom random) {
        double cross = draw(random, CROSS);
        double self = draw(random, SELF);
        double blend = draw(random, BLEND);
        double guidance = draw(random, GUIDANCE);
        long noiseSeed = random.nextLong() & 0xFFFFFFFFL;
        int scale = sd.vaeScale();
        try (NDManager m = sd.manager().newSubManager()) {
            long[] source = sd.tokenizer().encode(inputCaption);
            long[] target = sd.tokenizer().encode(outputCaption);
            int lh = height / scale;
            int lw = width / scale;
            NDArray blank = m.ones(new Shape(1, 1, lh, lw));
            PromptToPrompt control = new PromptToPrompt(new PromptToPrompt.Settings(PromptToPrompt.Mode.REFINE,
                    cross, self, blend, steps, SELF_MAX_TOKENS),
                    TokenAlignment.refine(source, target, sd.tokenizer().endId()), null, blank);
            NDArray z = Noise.gaussian(m, new Shape(1, sd.vae().config().latentChannels(), lh, lw), noiseSeed)
                    .toType(sd.dtype(), false);
            NDArray cond = sd.embed(m, List.of(inputCaption, outputCaption));
            NDArray uncond = sd.embed(m, List.of("", ""));
            NDArray latents = sd.sample(z.concat(z, 0), cond, uncond, steps, guidance, null, control,
                    StableDiffusion.StepListener.NONE);
            if (latents.isNaN().any().getBoolean()) {
                throw new IllegalStateException("the diffusion model produced NaN latents (noise seed " + noiseSeed + ")");
            }
            NDArray images = sd.decode(latents);
            Map<String, String> parameters = new TreeMap<>();
            parameters.put("mode", "REFINE");
            parameters.put("mask", "blank");
            parameters.put("cross_fraction", format(cross));
            parameters.put("self_fraction", format(self));
            parameters.put("blend_from", format(blend));
            parameters.put("guidance", format(guidance));
            parameters.put("steps", Integer.toString(steps));
            parameters.put("noise_seed", Long.toString(noiseSeed));
            parameters.put("size", width + "x" + height);
            parameters.put("attention_edits", Integer.toString(control.editsApplied()));
            return new EditPair(ImageTensors.toImage(images.get("0:1")), ImageTensors.toImage(images.get("1:2")), null,
                    parameters, List.of("stable-diffusion ddim+p2p"), Map.of());
        }
    }

    private static double draw(SplittableRandom random, double[] range) {
        return range[0] + (range[1] - range[0]) * random.nextDouble();
    }

    private static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
