package org.editstream.recipes;

import org.editstream.diffusion.StableDiffusion;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.util.List;
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

    /** One request: its captions and its stream (from caption id, task and candidate index). */
    public record Edit(String inputCaption, String outputCaption, SplittableRandom random) {
    }

    /**
     * @param random this candidate's stream (from caption id, task and candidate index): it draws the
     *               parameters, then the seed of the shared initial noise
     */
    public EditPair make(String inputCaption, String outputCaption, SplittableRandom random) throws Refusal {
        return makeAll(List.of(new Edit(inputCaption, outputCaption, random)), 1).get(0).get();
    }

    /**
     * The pairs of several requests, up to {@code perPass} of them in one UNet batch; each is the pair
     * {@link #make} gives it alone (up to the float rounding of a larger batch), and one that fails (NaN) fails alone.
     */
    public List<Made> makeAll(List<Edit> edits, int perPass) {
        List<ControlledPair.Spec> specs = edits.stream().map(e -> {
            double cross = ControlledPair.draw(e.random(), CROSS);
            double self = ControlledPair.draw(e.random(), SELF);
            double blend = ControlledPair.draw(e.random(), BLEND);
            double guidance = ControlledPair.draw(e.random(), GUIDANCE);
            long noiseSeed = e.random().nextLong() & 0xFFFFFFFFL;
            return new ControlledPair.Spec(e.inputCaption(), e.outputCaption(), null,
                    new ControlledPair.Draw(guidance, cross, self, blend), noiseSeed);
        }).toList();
        List<ControlledPair.Result> runs = ControlledPair.runAll(sd, steps, width, height, specs, SELF_MAX_TOKENS, perPass);
        return runs.stream().map(run -> {
            if (run.failure() != null) {
                return Made.failed(new Refusal(Reason.MODEL_FAILURE, run.failure()));
            }
            Map<String, String> parameters = new TreeMap<>(run.parameters());
            parameters.put("mask", "blank");
            return Made.of(new EditPair(run.source(), run.target(), null, parameters, List.of("stable-diffusion ddim+p2p"),
                    Map.of()));
        }).toList();
    }
}
