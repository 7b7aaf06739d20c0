package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.editstream.diffusion.PlugAndPlay;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.imaging.Images;
import org.editstream.models.ImageTensors;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Emu Edit's style task: DDIM inversion of the input image (once), then Plug-and-Play sampling towards the output
 * caption with feature and self-attention injection, per candidate g in [6.5, 11] and attention fraction in
 * [0.5, 1.0], feature fraction 0.8. The input is the caption's own image when it has one (scaled to the
 * pipeline's size), otherwise generated from the input caption. The best candidate is the chooser's.
 */
public final class StyleRecipe {
    public static final String NAME = "style-pnp";
    public static final double[] GUIDANCE = {6.5, 11};
    public static final double[] ATTENTION = {0.5, 1.0};
    public static final double FEATURE = 0.8;
    /** Guidance of a generated input image (the input caption's plain text-to-image). */
    public static final double INPUT_GUIDANCE = 7.5;
    public static final int CANDIDATES = 10;

    private final StableDiffusion sd;
    private final RegionRecipe.Chooser chooser;
    private final int steps;
    private final int width;
    private final int height;
    private final int candidates;

    public StyleRecipe(StableDiffusion sd, RegionRecipe.Chooser chooser, int steps, int width, int height, int candidates) {
        if (candidates < 1) {
            throw new IllegalArgumentException("a style edit needs at least one candidate, got " + candidates);
        }
        this.sd = sd;
        this.chooser = chooser;
        this.steps = steps;
        this.width = width;
        this.height = height;
        this.candidates = candidates;
    }

    /** @param given the caption's image, or null to generate the input from the input caption */
    public EditPair make(BufferedImage given, String inputCaption, String outputCaption, SplittableRandom random) {
        long noiseSeed = random.nextLong() & 0xFFFFFFFFL;
        BufferedImage input = given == null
                ? sd.textToImage(inputCaption, "", steps, INPUT_GUIDANCE, noiseSeed, width, height, StableDiffusion.StepListener.NONE)
                : Images.resized(given, width, height);
        List<EditPair> made = new ArrayList<>();
        try (NDManager m = sd.manager().newSubManager()) {
            NDArray start = sd.encode(ImageTensors.fromImage(m, input).toType(sd.dtype(), false));
            NDArray empty = sd.embed(m, List.of(""));
            NDArray target = sd.embed(m, List.of(outputCaption));
            PlugAndPlay.Inversion inversion = PlugAndPlay.invert(sd, start, empty, steps);
            inversion.inverted().forEach(latent -> latent.attach(m)); // freed with this request
            for (int c = 0; c < candidates; c++) {
                double guidance = ControlledPair.draw(random, GUIDANCE);
                double attention = ControlledPair.draw(random, ATTENTION);
                PlugAndPlay.Result result = PlugAndPlay.sample(sd, inversion.levels(), inversion.inverted(), empty, empty,
                        target, new PlugAndPlay.Settings(steps, guidance, attention, FEATURE), StableDiffusion.StepListener.NONE);
                if (result.latents().isNaN().any().getBoolean()) {
                    throw new IllegalStateException("the diffusion model produced NaN latents (style candidate " + c + ")");
                }
                BufferedImage edited = ImageTensors.toImage(sd.decode(result.latents()));
                Map<String, String> parameters = new TreeMap<>();
                parameters.put("guidance", ControlledPair.format(guidance));
                parameters.put("attention_fraction", ControlledPair.format(attention));
                parameters.put("feature_fraction", ControlledPair.format(FEATURE));
                parameters.put("steps", Integer.toString(steps));
                parameters.put("input", given == null ? "generated" : "given");
                parameters.put("noise_seed", Long.toString(noiseSeed));
                parameters.put("candidate", Integer.toString(c));
                parameters.put("candidates", Integer.toString(candidates));
                parameters.put("size", width + "x" + height);
                made.add(new EditPair(input, edited, null, parameters, List.of("stable-diffusion ddim-inversion+pnp"), Map.of()));
            }
        }
        return made.get(candidates == 1 ? 0 : chooser.best(made, outputCaption));
    }
}
