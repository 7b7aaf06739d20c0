package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Scoped;

import java.util.ArrayList;
import java.util.List;

/**
 * Plug-and-Play feature and attention injection for style edits (the attention-control spec's section):
 * DDIM inversion of the input latents with the empty prompt, then sampling from the inverted latent with the
 * UNet batch [z_src(t), x, x] and texts [E(""), E(negative), E(target)], guidance on rows 1 and 2 only. Rows 1
 * and 2 take row 0's residual at the feature site (the first up block with attentions, its second ResNet)
 * and row 0's queries and keys in every later up-block self-attention, for the first fractions of the steps.
 * Sites are derived from the UNet config.
 */
public final class PlugAndPlay {
    /** Guidance, attention fraction, feature fraction (0.8 in Emu Edit), steps. */
    public record Settings(int steps, double guidance, double attentionFraction, double featureFraction) {
    }

    /** The inversion (levels ascending, the latent after each inverse step) and the sampled latents. */
    public record Result(long[] levels, List<NDArray> inverted, long[] timesteps, NDArray latents) {
    }

    private PlugAndPlay() {
    }

    /**
     * @param start      scaled latent means of the input image [1, c, h, w]
     * @param empty      text states of the empty prompt (inversion and row 0)
     * @param negative   text states of the negative prompt (row 1)
     * @param target     text states of the target prompt (row 2)
     */
    public static Result run(StableDiffusion sd, NDArray start, NDArray empty, NDArray negative, NDArray target,
                             Settings settings, StableDiffusion.StepListener listener) {
        Inversion inversion = invert(sd, start, empty, settings.steps());
        return sample(sd, inversion.levels(), inversion.inverted(), empty, negative, target, settings, listener);
    }

    /** The latents after each inverse step, at the inverse schedule's ascending noise levels. */
    public record Inversion(long[] levels, List<NDArray> inverted) {
    }

    /** DDIM inversion of the input's latents with the empty prompt: once per image, shared by its candidates. */
    public static Inversion invert(StableDiffusion sd, NDArray start, NDArray empty, int steps) {
        long[] levels = sd.scheduler().inverseTimesteps(steps);
        List<NDArray> inverted = new ArrayList<>();
        sd.invert(start, empty, steps, UNetHooks.NONE, (i, t, x) -> inverted.add(x.duplicate()));
        return new Inversion(levels, inverted);
    }

    /** The sampling half, from given inverted latents at the inverse schedule's levels. */
    public static Result sample(StableDiffusion sd, long[] levels, List<NDArray> inverted, NDArray empty, NDArray negative,
                                NDArray target, Settings settings, StableDiffusion.StepListener listener) {
        int steps = settings.steps();
        DdimScheduler scheduler = sd.scheduler();
        long[] timesteps = scheduler.timesteps(steps);

        Injection hooks = new Injection(sd.unet().config(), settings);
        NDArray context = empty.concat(negative, 0).concat(target, 0);
        NDArray x = inverted.get(levelIndex(levels, timesteps[0]));
        NDArray first = x;
        for (int i = 0; i < steps; i++) {
            long t = timesteps[i];
            hooks.beginStep(i, t);
            NDArray source = inverted.get(levelIndex(levels, t));
            NDArray next = Scoped.apply(in -> {
                NDArray batch = in[1].concat(in[0], 0).concat(in[0], 0);
                NDArray time = in[0].getManager().full(new Shape(3), (float) t);
                NDArray out = sd.unet().forward(batch, time, in[2], hooks);
                NDArray u = out.get("1:2");
                NDArray guided = u.add(out.get("2:3").sub(u).mul((float) settings.guidance()));
                return scheduler.step(guided, t, in[0], steps);
            }, x, source, context);
            listener.onStep(i, t, next);
            if (x != first) {
                x.close();
            }
            x = next;
        }
        context.close();
        return new Result(levels, inverted, timesteps, x);
    }

    private static int levelIndex(long[] levels, long t) {
        for (int k = 0; k < levels.length; k++) {
            if (levels[k] == t) {
                return k;
            }
        }
        throw new IllegalStateException("no inverted latent at noise level " + t + " (levels "
                + java.util.Arrays.toString(levels) + "): the sampling and inverse schedules disagree");
    }

    /** The injection sites of a UNet config: the first up block with attentions, U. */
    static final class Injection implements UNetHooks {
        private final String featureSite;
        private final int firstAttentionBlock;
        private final int featureSteps;
        private final int attentionSteps;
        private int step;

        Injection(UNetConfig config, Settings settings) {
            int u = -1;
            for (int i = 0; i < config.upBlockTypes().size() && u < 0; i++) {
                if (config.upBlockTypes().get(i).startsWith("CrossAttn")) {
                    u = i;
                }
            }
            if (u < 0) {
                throw new IllegalArgumentException("Plug-and-Play needs an up block with attentions; this UNet has none");
            }
            this.firstAttentionBlock = u;
            this.featureSite = "up_blocks." + u + ".resnets.1";
            this.featureSteps = (int) Math.floor(settings.featureFraction() * settings.steps());
            this.attentionSteps = (int) Math.floor(settings.attentionFraction() * settings.steps());
        }

        @Override
        public void beginStep(int index, long timestep) {
            step = index;
        }

        /** Plug-and-Play injects queries and keys, never probabilities. */
        @Override
        public boolean readsProbabilities(AttentionSite site) {
            return false;
        }

        @Override
        public NDArray resnetResidual(String site, NDArray residual) {
            return step < featureSteps && site.equals(featureSite) ? fromRowZero(residual) : residual;
        }

        @Override
        public NDArray[] queriesAndKeys(AttentionSite site, NDArray queries, NDArray keys) {
            boolean injected = !site.cross() && site.place() == AttentionSite.Place.UP
                    && (site.block() > firstAttentionBlock || site.block() == firstAttentionBlock && site.attention() >= 1);
            if (step < attentionSteps && injected) {
                return new NDArray[] {fromRowZero(queries), fromRowZero(keys)};
            }
            return new NDArray[] {queries, keys};
        }

        private static NDArray fromRowZero(NDArray x) {
            NDArray row = x.get("0:1");
            return row.concat(row, 0).concat(row, 0);
        }
    }
}
