package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.Noise;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.UNetHooks;
import org.editstream.imaging.Images;
import org.editstream.imaging.Masks;
import org.editstream.models.ImageTensors;
import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Emu Edit's background task: the main subject is grounded in the input image, the background mask is
 * everything else (shrunk away from the subject, then blurred: {@link Masks.Kind#BACKGROUND}), the inpainting
 * UNet repaints it towards the output caption, and the repainting is blended into the input through the soft
 * mask, so the subject's pixels stay exactly the input's. Candidates differ in noise and guidance; the
 * chooser keeps the best (CLIP output similarity in production).
 */
public final class BackgroundRecipe {
    public static final String NAME = "background-inpaint";
    /** CHOICE: the spec gives no guidance range for background; the inpainting pipelines' usual band. */
    public static final double[] GUIDANCE = {5, 10};
    public static final int CANDIDATES = 10;

    private final StableDiffusion inpainter;
    private final ObjectGrounder grounder;
    private final RegionRecipe.Chooser chooser;
    private final int steps;
    private final int width;
    private final int height;
    private final int candidates;

    public BackgroundRecipe(StableDiffusion inpainter, ObjectGrounder grounder, RegionRecipe.Chooser chooser, int steps,
                            int width, int height, int candidates) {
        if (!inpainter.inpainting()) {
            throw new IllegalArgumentException("the background recipe needs an inpainting UNet (9 input channels)");
        }
        if (candidates < 1) {
            throw new IllegalArgumentException("a background edit needs at least one candidate, got " + candidates);
        }
        this.inpainter = inpainter;
        this.grounder = grounder;
        this.chooser = chooser;
        this.steps = steps;
        this.width = width;
        this.height = height;
        this.candidates = candidates;
    }

    /** @param subject the main subject that stays (the agent's stripped original object) */
    public EditPair make(BufferedImage image, String outputCaption, String subject, SplittableRandom random) throws Refusal {
        BufferedImage input = Images.resized(image, width, height);
        ObjectGrounder.Grounding grounding = grounder.ground(input, subject).orElseThrow(() -> new Refusal(
                Reason.RECIPE_FAILED, "the grounder found no '" + subject + "' in the input image"));
        BufferedImage mask = Masks.of(Masks.Kind.BACKGROUND, grounding.segmentation(), grounding.box());
        float[] soft = Masks.values(mask);
        List<EditPair> made = new ArrayList<>();
        try (NDManager m = inpainter.manager().newSubManager()) {
            NDArray pixels = ImageTensors.fromImage(m, input).toType(inpainter.dtype(), false);
            NDArray repaint = m.create(soft, new Shape(1, 1, height, width)).toType(inpainter.dtype(), false);
            NDArray extra = inpainter.inpaintChannels(pixels, repaint);
            NDArray cond = inpainter.embed(m, List.of(outputCaption));
            NDArray uncond = inpainter.embed(m, List.of(""));
            int scale = inpainter.vaeScale();
            for (int c = 0; c < candidates; c++) {
                double guidance = ControlledPair.draw(random, GUIDANCE);
                long noiseSeed = random.nextLong() & 0xFFFFFFFFL;
                NDArray noise = Noise.gaussian(m, new Shape(1, inpainter.vae().config().latentChannels(), height / scale,
                        width / scale), noiseSeed).toType(inpainter.dtype(), false);
                NDArray latents = inpainter.sample(noise, cond, uncond, steps, guidance, extra, UNetHooks.NONE,
                        StableDiffusion.StepListener.NONE);
                if (latents.isNaN().any().getBoolean()) {
                    throw new IllegalStateException("the inpainting model produced NaN latents (noise seed " + noiseSeed + ")");
                }
                // x' = x + m (repainted - x): the subject, where m is 0, keeps the input's exact pixels
                NDArray decoded = inpainter.decode(latents);
                NDArray blended = pixels.add(repaint.mul(decoded.sub(pixels)));
                Map<String, String> parameters = new TreeMap<>();
                parameters.put("guidance", ControlledPair.format(guidance));
                parameters.put("noise_seed", Long.toString(noiseSeed));
                parameters.put("steps", Integer.toString(steps));
                parameters.put("mask", Masks.Kind.BACKGROUND.name());
                parameters.put("grounded", subject);
                parameters.put("candidate", Integer.toString(c));
                parameters.put("candidates", Integer.toString(candidates));
                made.add(new EditPair(input, ImageTensors.toImage(blended), mask, parameters,
                        List.of("stable-diffusion-inpainting ddim", grounder.id()), Map.of()));
            }
        }
        return made.get(candidates == 1 ? 0 : chooser.best(made, outputCaption));
    }
}
