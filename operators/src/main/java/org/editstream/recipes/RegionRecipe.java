package org.editstream.recipes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.UNetHooks;
import org.editstream.imaging.Images;
import org.editstream.imaging.Masks;
import org.editstream.models.ImageTensors;
import org.editstream.perception.ClipScores;
import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Emu Edit's region edits (local, texture, remove, add) under mask-based attention control:
 * <ul>
 *   <li>local, texture, remove: the input image x from the input caption; the original object grounded in x;
 *       then source = input caption, target = output caption, the target blended back to x outside the mask;</li>
 *   <li>add: y from the output caption; the added object grounded in y; then source = output caption,
 *       target = input caption; the pair is (target image, y).</li>
 * </ul>
 * Candidates cycle through the mask kinds (precise, dilated, box) with Nc, Ns and b drawn per candidate from the
 * spec's ranges; the guidance g is drawn once per sample, so every candidate shares the image the mask was
 * grounded on. The best candidate is chosen by a {@link Chooser} (CLIP output similarity in production). As an
 * option, local, texture and remove edit the caption's own image instead of a generated one (DDIM inversion).
 */
public final class RegionRecipe {
    public static final String NAME = "region-p2p";
    public static final Set<Task> TASKS = EnumSet.of(Task.LOCAL, Task.TEXTURE, Task.REMOVE, Task.ADD);

    /** The spec's ranges for local and texture (remove and add are "as local"). */
    public static final double[] GUIDANCE = {4, 8};
    public static final double[] CROSS = {0.3, 0.9};
    public static final double[] SELF = {0.3, 0.9};
    public static final double[] BLEND = {0.02, 0.2};
    /** Emu Edit's candidates per sample. */
    public static final int CANDIDATES = 10;
    static final List<Masks.Kind> KINDS = List.of(Masks.Kind.PRECISE, Masks.Kind.DILATED, Masks.Kind.BOX);

    /** Picks the best of a sample's candidates. */
    @FunctionalInterface
    public interface Chooser {
        int best(List<EditPair> candidates, String outputCaption);

        /** CLIP best-of-N: the candidate whose edited image is closest to the output caption. */
        static Chooser byClip(ClipScores clip) {
            return (candidates, caption) -> clip.bestByOutput(candidates.stream().map(EditPair::edited).toList(), caption);
        }
    }

    private final StableDiffusion sd;
    private final ObjectGrounder grounder;
    private final Chooser chooser;
    private final int steps;
    private final int width;
    private final int height;
    private final int candidates;
    private final int perPass;

    /** @param perPass candidates per UNet batch (four rows each) */
    public RegionRecipe(StableDiffusion sd, ObjectGrounder grounder, Chooser chooser, int steps, int width, int height,
                        int candidates, int perPass) {
        if (candidates < 1) {
            throw new IllegalArgumentException("a region edit needs at least one candidate, got " + candidates);
        }
        this.sd = sd;
        this.grounder = grounder;
        this.chooser = chooser;
        this.steps = steps;
        this.width = width;
        this.height = height;
        this.candidates = candidates;
        this.perPass = perPass;
    }

    /**
     * @param groundName the object to ground (the agent's stripped name): the original object, or for add the
     *                   added one
     * @param random     the sample's stream (from caption id and task): g and the noise seed, then each
     *                   candidate's draws
     */
    public EditPair make(Task task, String inputCaption, String outputCaption, String groundName, SplittableRandom random)
            throws Refusal {
        return make(task, inputCaption, outputCaption, groundName, null, random);
    }

    /**
     * @param given the caption's own image, or null: for local, texture and remove, a given image is the input x
     *              itself (DDIM-inverted with the input caption, both branches start from its inversion, and the
     *              edit is blended into x through the mask so x's pixels stay outside it); add always generates
     */
    public EditPair make(Task task, String inputCaption, String outputCaption, String groundName, BufferedImage given,
                         SplittableRandom random) throws Refusal {
        if (!TASKS.contains(task)) {
            throw new IllegalArgumentException("not a region task: " + task);
        }
        if (outputCaption == null || outputCaption.isBlank() || groundName == null || groundName.isBlank()) {
            throw new Refusal(Reason.RECIPE_FAILED, "a " + task.name().toLowerCase() + " edit needs the output caption and the object to ground");
        }
        boolean add = task == Task.ADD;
        String source = add ? outputCaption : inputCaption;
        String target = add ? inputCaption : outputCaption;
        double guidance = ControlledPair.draw(random, GUIDANCE);
        long noiseSeed = random.nextLong() & 0xFFFFFFFFL;
        // a given image is inverted (not for add: its source is the output caption's image, which no one gave)
        boolean invert = given != null && task != Task.ADD;
        BufferedImage grounded;
        float[] start = null;
        if (invert) {
            grounded = Images.resized(given, width, height);
            start = inverted(grounded, source);
        } else {
            // the source branch of every candidate's run starts from the same noise and guidance: this is its image
            grounded = sd.textToImage(source, "", steps, guidance, noiseSeed, width, height, StableDiffusion.StepListener.NONE);
        }
        ObjectGrounder.Detections detections = grounder.groundAll(grounded, groundName);
        if (detections.found().isEmpty()) {
            throw GroundedRecipe.notFound(groundName, detections.bestScore());
        }
        ObjectGrounder.Grounding grounding = detections.found().get(0);

        List<Masks.Kind> kinds = new ArrayList<>();
        List<BufferedImage> masks = new ArrayList<>();
        List<ControlledPair.Spec> specs = new ArrayList<>();
        for (int c = 0; c < candidates; c++) {
            Masks.Kind kind = KINDS.get(c % KINDS.size());
            BufferedImage mask = Masks.of(kind, grounding.segmentation(), grounding.box());
            ControlledPair.Draw draw = ControlledPair.Draw.from(random, GUIDANCE, CROSS, SELF, BLEND).withGuidance(guidance);
            kinds.add(kind);
            masks.add(mask);
            specs.add(new ControlledPair.Spec(source, target, Masks.values(mask), draw, noiseSeed, start));
        }
        List<ControlledPair.Result> runs = ControlledPair.runAll(sd, steps, width, height, specs,
                GlobalRecipe.SELF_MAX_TOKENS, perPass);
        List<EditPair> made = new ArrayList<>();
        String failure = null;
        for (int c = 0; c < candidates; c++) {
            ControlledPair.Result run = runs.get(c);
            if (run.failure() != null) {
                failure = run.failure();
                continue;
            }
            Map<String, String> parameters = new TreeMap<>(run.parameters());
            parameters.put("mask", kinds.get(c).name());
            parameters.put("candidate", Integer.toString(c));
            parameters.put("candidates", Integer.toString(candidates));
            parameters.put("grounded", groundName);
            parameters.put("input", invert ? "given" : "generated");
            if (invert) {
                // the pair is the real image and the edit, which takes the real image's pixels outside the mask
                parameters.put("inversion", "ddim");
                made.add(new EditPair(grounded, Masks.blend(grounded, run.target(), masks.get(c)), masks.get(c), parameters,
                        List.of("stable-diffusion ddim-inversion+p2p", grounder.id()), Map.of()));
                continue;
            }
            made.add(new EditPair(add ? run.target() : run.source(), add ? run.source() : run.target(), masks.get(c),
                    parameters, List.of("stable-diffusion ddim+p2p", grounder.id()), Map.of()));
        }
        if (made.isEmpty()) {
            throw new Refusal(Reason.MODEL_FAILURE, "every candidate failed: " + failure);
        }
        return made.get(made.size() == 1 ? 0 : chooser.best(made, outputCaption));
    }

    /** The image's latent after unguided DDIM inversion with the caption, over this recipe's steps. */
    private float[] inverted(BufferedImage image, String caption) {
        try (NDManager m = sd.manager().newSubManager()) {
            NDArray latent = sd.encode(ImageTensors.fromImage(m, image).toType(sd.dtype(), false));
            NDArray noise = sd.invert(latent, sd.embed(m, List.of(caption)), steps, UNetHooks.NONE,
                    StableDiffusion.StepListener.NONE);
            return noise.toType(DataType.FLOAT32, false).toFloatArray();
        }
    }
}
