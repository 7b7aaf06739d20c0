package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
    private final int perPass;

    /** @param perPass candidates per UNet batch */
    public BackgroundRecipe(StableDiffusion inpainter, ObjectGrounder grounder, RegionRecipe.Chooser chooser, int steps,
                            int width, int height, int candidates, int perPass) {
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
        this.perPass = perPass;
    }

    /**
     * @param given   the caption's image, or null to generate the input from the input caption with
     *                {@code generator} (a text-to-image pipeline)
     * @param subject the main subject that stays (the agent's stripped original object)
     */
    public EditPair make(BufferedImage given, StableDiffusion generator, String inputCaption, String outputCaption,
                         String subject, SplittableRandom random) throws Refusal {
        if (subject == null || subject.isBlank()) {
            throw new Refusal(Reason.RECIPE_FAILED, "a background edit needs the main subject to keep, and the instruction names none");
        }
        long inputSeed = random.nextLong() & 0xFFFFFFFFL;
        if (given == null && generator == null) {
            throw new Refusal(Reason.NO_INPUT_IMAGE, "the caption has no image and no text-to-image model is configured");
        }
        BufferedImage input = given == null
                ? generator.textToImage(inputCaption, "", steps, StyleRecipe.INPUT_GUIDANCE, inputSeed, width, height,
                StableDiffusion.StepListener.NONE)
                : Images.resized(given, width, height);
        ObjectGrounder.Detections detections = grounder.groundAll(input, subject);
        if (detections.found().isEmpty()) {
            throw GroundedRecipe.notFound(subject, detections.bestScore());
        }
        ObjectGrounder.Grounding grounding = detections.found().get(0);
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
            Shape noiseShape = new Shape(1, inpainter.vae().config().latentChannels(), height / scale, width / scale);
            double[] guidance = new double[candidates];
            long[] noiseSeeds = new long[candidates];
            for (int c = 0; c < candidates; c++) {
                guidance[c] = ControlledPair.draw(random, GUIDANCE);
                noiseSeeds[c] = random.nextLong() & 0xFFFFFFFFL;
            }
            String failure = null;
            // candidates share the mask, the masked image and the caption: up to perPass of them run as one batch
            for (int from = 0; from < candidates; from += perPass) {
                int n = Math.min(perPass, candidates - from);
                NDList noise = new NDList(n);
                float[] scales = new float[n];
                for (int i = 0; i < n; i++) {
                    noise.add(Noise.gaussian(m, noiseShape, noiseSeeds[from + i]).toType(inpainter.dtype(), false));
                    scales[i] = (float) guidance[from + i];
                }
                NDArray latents = inpainter.sample(NDArrays.concat(noise, 0), cond.repeat(0, n), uncond.repeat(0, n),
                        steps, scales, extra.repeat(0, n), UNetHooks.NONE, StableDiffusion.StepListener.NONE);
                boolean[] nan = latents.isNaN().toType(DataType.INT32, false).sum(new int[] {1, 2, 3}).gt(0)
                        .toBooleanArray();
                NDArray decoded = inpainter.decode(latents);
                for (int i = 0; i < n; i++) {
                    int c = from + i;
                    if (nan[i]) {
                        failure = "the inpainting model produced NaN latents (noise seed " + noiseSeeds[c] + ")";
                        continue;
                    }
                    Map<String, String> parameters = new TreeMap<>();
                    parameters.put("guidance", ControlledPair.format(guidance[c]));
                    parameters.put("noise_seed", Long.toString(noiseSeeds[c]));
                    parameters.put("steps", Integer.toString(steps));
                    parameters.put("mask", Masks.Kind.BACKGROUND.name());
                    parameters.put("grounded", subject);
                    parameters.put("input", given == null ? "generated" : "given");
                    parameters.put("size", width + "x" + height);
                    parameters.put("candidate", Integer.toString(c));
                    parameters.put("candidates", Integer.toString(candidates));
                    // x' = x + m (repainted - x): the subject, where m is 0, keeps the input's exact pixels
                    BufferedImage blended = Masks.blend(input, ImageTensors.toImage(decoded.get(i + ":" + (i + 1))), mask);
                    made.add(new EditPair(input, blended, mask, parameters,
                            List.of("stable-diffusion-inpainting ddim", grounder.id()), Map.of()));
                }
            }
            if (made.isEmpty()) {
                throw new Refusal(Reason.MODEL_FAILURE, "every candidate failed: " + failure);
            }
        }
        return made.get(made.size() == 1 ? 0 : chooser.best(made, outputCaption));
    }
}
