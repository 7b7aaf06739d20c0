package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.Noise;
import org.editstream.diffusion.PromptToPrompt;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TokenAlignment;
import org.editstream.models.ImageTensors;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * One Prompt-to-Prompt run shared by the attention-controlled recipes: source and target captions from the same
 * noise in one [uncond_S, uncond_T, cond_S, cond_T] batch, cross- and self-attention injected for the first Nc
 * and Ns of the steps, the target blended back to the source outside the mask from step b on.
 */
final class ControlledPair {
    /** What one candidate draws: guidance g, Nc, Ns and b. */
    record Draw(double guidance, double cross, double self, double blend) {
        static Draw from(SplittableRandom random, double[] guidance, double[] cross, double[] self, double[] blend) {
            return new Draw(draw(random, guidance), draw(random, cross), draw(random, self), draw(random, blend));
        }

        Draw withGuidance(double g) {
            return new Draw(g, cross, self, blend);
        }
    }

    /** The two images and the parameters to record. */
    record Result(BufferedImage source, BufferedImage target, Map<String, String> parameters) {
    }

    private ControlledPair() {
    }

    /**
     * @param mask the edit region at image resolution (row-major, [0, 1]), or null for a blank (all-ones) mask
     */
    static Result run(StableDiffusion sd, int steps, int width, int height, String source, String target, float[] mask,
                      Draw draw, long noiseSeed, long selfMaxTokens) {
        int scale = sd.vaeScale();
        try (NDManager m = sd.manager().newSubManager()) {
            int lh = height / scale;
            int lw = width / scale;
            NDArray latentMask = mask == null ? m.ones(new Shape(1, 1, lh, lw))
                    : PromptToPrompt.latentMask(m, mask, height, width, lh, lw);
            // a word swap (same word count) replaces attention maps; anything else aligns tokens (REFINE)
            boolean swap = source.split(" ").length == target.split(" ").length;
            PromptToPrompt.Mode mode = swap ? PromptToPrompt.Mode.REPLACE : PromptToPrompt.Mode.REFINE;
            PromptToPrompt.Settings settings = new PromptToPrompt.Settings(mode, draw.cross(), draw.self(), draw.blend(),
                    steps, selfMaxTokens);
            PromptToPrompt control = swap
                    ? new PromptToPrompt(settings, null, TokenAlignment.replace(source, target, sd.tokenizer()), latentMask)
                    : new PromptToPrompt(settings, TokenAlignment.refine(sd.tokenizer().encode(source),
                    sd.tokenizer().encode(target), sd.tokenizer().endId()), null, latentMask);
            NDArray z = Noise.gaussian(m, new Shape(1, sd.vae().config().latentChannels(), lh, lw), noiseSeed)
                    .toType(sd.dtype(), false);
            NDArray cond = sd.embed(m, List.of(source, target));
            NDArray uncond = sd.embed(m, List.of("", ""));
            NDArray latents = sd.sample(z.concat(z, 0), cond, uncond, steps, draw.guidance(), null, control,
                    StableDiffusion.StepListener.NONE);
            if (latents.isNaN().any().getBoolean()) {
                throw new IllegalStateException("the diffusion model produced NaN latents (noise seed " + noiseSeed + ")");
            }
            NDArray images = sd.decode(latents);
            Map<String, String> parameters = new TreeMap<>();
            parameters.put("mode", mode.name());
            parameters.put("cross_fraction", format(draw.cross()));
            parameters.put("self_fraction", format(draw.self()));
            parameters.put("blend_from", format(draw.blend()));
            parameters.put("guidance", format(draw.guidance()));
            parameters.put("steps", Integer.toString(steps));
            parameters.put("noise_seed", Long.toString(noiseSeed));
            parameters.put("size", width + "x" + height);
            parameters.put("attention_edits", Integer.toString(control.editsApplied()));
            return new Result(ImageTensors.toImage(images.get("0:1")), ImageTensors.toImage(images.get("1:2")), parameters);
        }
    }

    static double draw(SplittableRandom random, double[] range) {
        return range[0] + (range[1] - range[0]) * random.nextDouble();
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
