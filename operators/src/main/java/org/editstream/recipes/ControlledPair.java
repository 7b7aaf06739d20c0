package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.Noise;
import org.editstream.diffusion.PromptToPrompt;
import org.editstream.diffusion.PromptToPromptBatch;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TokenAlignment;
import org.editstream.models.ImageTensors;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The Prompt-to-Prompt runs shared by the attention-controlled recipes: source and target captions from the same
 * noise in one [uncond_S, uncond_T, cond_S, cond_T] batch, cross- and self-attention injected for the first Nc
 * and Ns of the steps, the target blended back to the source outside the mask from step b on. Several pairs
 * (a sample's candidates, or several requests) share one UNet batch.
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

    /** The two images and the parameters to record, or (images null) why the pair could not be made. */
    record Result(BufferedImage source, BufferedImage target, Map<String, String> parameters, String failure) {
    }

    private ControlledPair() {
    }

    /**
     * One pair to make: source and target captions, the edit region at image resolution (row-major, [0, 1]; null
     * for a blank, all-ones mask), the draws, and what both branches start from: the latent {@code start}
     * ([1, c, h, w] row-major, a real image's DDIM inversion) when given, else seeded noise.
     */
    record Spec(String source, String target, float[] mask, Draw draw, long noiseSeed, float[] start) {
        Spec(String source, String target, float[] mask, Draw draw, long noiseSeed) {
            this(source, target, mask, draw, noiseSeed, null);
        }
    }

    /**
     * Pairs under attention control, up to {@code pairsPerPass} of them in one UNet batch of four rows each (see
     * {@link PromptToPromptBatch}); every pair is exactly what it would be alone, up to the float rounding of a
     * larger batch. A pair whose latents hold NaN gets a result with {@link Result#failure()} set; the others are
     * unaffected.
     */
    static List<Result> runAll(StableDiffusion sd, int steps, int width, int height, List<Spec> specs, long selfMaxTokens,
                               int pairsPerPass) {
        if (pairsPerPass < 1) {
            throw new IllegalArgumentException("pairs per pass must be at least 1, got " + pairsPerPass);
        }
        List<Result> results = new ArrayList<>(specs.size());
        for (int from = 0; from < specs.size(); from += pairsPerPass) {
            results.addAll(pass(sd, steps, width, height, specs.subList(from, Math.min(specs.size(), from + pairsPerPass)),
                    selfMaxTokens));
        }
        return results;
    }

    private static List<Result> pass(StableDiffusion sd, int steps, int width, int height, List<Spec> specs,
                                     long selfMaxTokens) {
        int scale = sd.vaeScale();
        int lh = height / scale;
        int lw = width / scale;
        try (NDManager m = sd.manager().newSubManager()) {
            List<PromptToPrompt> controls = new ArrayList<>(specs.size());
            List<String> prompts = new ArrayList<>(2 * specs.size());
            NDList noise = new NDList(2 * specs.size());
            float[] guidance = new float[2 * specs.size()];
            for (int i = 0; i < specs.size(); i++) {
                Spec spec = specs.get(i);
                controls.add(controller(sd, m, steps, width, height, lh, lw, spec, selfMaxTokens));
                prompts.add(spec.source());
                prompts.add(spec.target());
                Shape latent = new Shape(1, sd.vae().config().latentChannels(), lh, lw);
                NDArray z = (spec.start() != null ? m.create(spec.start(), latent) : Noise.gaussian(m, latent, spec.noiseSeed()))
                        .toType(sd.dtype(), false);
                noise.add(z);
                noise.add(z);
                guidance[2 * i] = (float) spec.draw().guidance();
                guidance[2 * i + 1] = (float) spec.draw().guidance();
            }
            NDArray cond = sd.embed(m, prompts);
            NDArray uncond = sd.embed(m, List.of("")).repeat(0, prompts.size());
            NDArray latents = sd.sample(NDArrays.concat(noise, 0), cond, uncond, steps, guidance, null,
                    PromptToPromptBatch.of(controls), StableDiffusion.StepListener.NONE);
            boolean[] nan = latents.isNaN().toType(DataType.INT32, false).sum(new int[] {1, 2, 3}).gt(0).toBooleanArray();
            NDArray images = sd.decode(latents);
            List<Result> results = new ArrayList<>(specs.size());
            for (int i = 0; i < specs.size(); i++) {
                Spec spec = specs.get(i);
                if (nan[2 * i] || nan[2 * i + 1]) {
                    results.add(new Result(null, null, Map.of(), "the diffusion model produced NaN latents (noise seed "
                            + spec.noiseSeed() + ")"));
                    continue;
                }
                Map<String, String> parameters = new TreeMap<>();
                parameters.put("mode", controls.get(i).settings().mode().name());
                parameters.put("cross_fraction", format(spec.draw().cross()));
                parameters.put("self_fraction", format(spec.draw().self()));
                parameters.put("blend_from", format(spec.draw().blend()));
                parameters.put("guidance", format(spec.draw().guidance()));
                parameters.put("steps", Integer.toString(steps));
                parameters.put("noise_seed", Long.toString(spec.noiseSeed()));
                parameters.put("size", width + "x" + height);
                parameters.put("attention_edits", Integer.toString(controls.get(i).editsApplied()));
                results.add(new Result(ImageTensors.toImage(images.get(2 * i + ":" + (2 * i + 1))),
                        ImageTensors.toImage(images.get(2 * i + 1 + ":" + (2 * i + 2))), parameters, null));
            }
            return results;
        }
    }

    /** A word swap (same word count) replaces attention maps; anything else aligns tokens (REFINE). */
    private static PromptToPrompt controller(StableDiffusion sd, NDManager m, int steps, int width, int height, int lh,
                                             int lw, Spec spec, long selfMaxTokens) {
        NDArray latentMask = spec.mask() == null ? m.ones(new Shape(1, 1, lh, lw))
                : PromptToPrompt.latentMask(m, spec.mask(), height, width, lh, lw);
        boolean swap = spec.source().split(" ").length == spec.target().split(" ").length;
        PromptToPrompt.Mode mode = swap ? PromptToPrompt.Mode.REPLACE : PromptToPrompt.Mode.REFINE;
        PromptToPrompt.Settings settings = new PromptToPrompt.Settings(mode, spec.draw().cross(), spec.draw().self(),
                spec.draw().blend(), steps, selfMaxTokens);
        return swap
                ? new PromptToPrompt(settings, null, TokenAlignment.replace(spec.source(), spec.target(), sd.tokenizer()),
                latentMask)
                : new PromptToPrompt(settings, TokenAlignment.refine(sd.tokenizer().encode(spec.source()),
                sd.tokenizer().encode(spec.target()), sd.tokenizer().endId()), null, latentMask);
    }

    static double draw(SplittableRandom random, double[] range) {
        return range[0] + (range[1] - range[0]) * random.nextDouble();
    }

    static String format(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }
}
