package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * DDIM with eta 0, as diffusers' {@code DDIMScheduler} (sampling) and {@code DDIMInverseScheduler} (inversion)
 * compute it: the noise schedule from the config, timesteps by the configured spacing, and the deterministic
 * update {@code x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps} from the model's epsilon, v or sample
 * prediction. Stateless: thread-safe.
 */
public final class DdimScheduler {
    private final SchedulerConfig config;
    private final double[] alphasCumprod;
    private final double finalAlphaCumprod;

    public DdimScheduler(SchedulerConfig config) {
        this.config = config;
        int n = config.numTrainTimesteps();
        double[] betas = betas(config, n);
        alphasCumprod = new double[n];
        double product = 1;
        for (int i = 0; i < n; i++) {
            // accumulated in float32, as torch does
            product = (float) (product * (float) (1 - betas[i]));
            alphasCumprod[i] = product;
        }
        finalAlphaCumprod = config.setAlphaToOne() ? 1.0 : alphasCumprod[0];
    }

    public SchedulerConfig config() {
        return config;
    }

    private static double[] betas(SchedulerConfig c, int n) {
        double[] betas = new double[n];
        if (c.trainedBetas() != null) {
            if (c.trainedBetas().size() != n) {
                throw new IllegalArgumentException("trained_betas has " + c.trainedBetas().size() + " values, not " + n);
            }
            for (int i = 0; i < n; i++) {
                betas[i] = c.trainedBetas().get(i);
            }
            return betas;
        }
        switch (c.betaSchedule()) {
            case "linear" -> {
                for (int i = 0; i < n; i++) {
                    betas[i] = (float) linspace(c.betaStart(), c.betaEnd(), n, i);
                }
            }
            case "scaled_linear" -> {
                for (int i = 0; i < n; i++) {
                    float root = (float) linspace(Math.sqrt(c.betaStart()), Math.sqrt(c.betaEnd()), n, i);
                    betas[i] = root * root;
                }
            }
            default -> { // squaredcos_cap_v2
                for (int i = 0; i < n; i++) {
                    double t1 = (double) i / n;
                    double t2 = (double) (i + 1) / n;
                    betas[i] = (float) Math.min(1 - alphaBar(t2) / alphaBar(t1), 0.999);
                }
            }
        }
        return betas;
    }

    private static double alphaBar(double t) {
        double c = Math.cos((t + 0.008) / 1.008 * Math.PI / 2);
        return c * c;
    }

    private static double linspace(double start, double end, int n, int i) {
        return n == 1 ? start : start + (end - start) * i / (n - 1);
    }

    /** Sampling timesteps, noisiest first. */
    public long[] timesteps(int steps) {
        int train = config.numTrainTimesteps();
        requireSteps(steps);
        long[] t = new long[steps];
        switch (config.timestepSpacing()) {
            case "leading" -> {
                int ratio = train / steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = (long) (steps - 1 - i) * ratio + config.stepsOffset();
                }
            }
            case "trailing" -> {
                double ratio = (double) train / steps;
                for (int i = 0; i < steps; i++) {
                    t[i] = Math.round(train - i * ratio) - 1;
                }
            }
            default -> { // linspace
                for (int i = 0; i < steps; i++) {
                    t[i] = Math.round(linspace(0, train - 1, steps, steps - 1 - i));
                }
            }
        }
        return t;
    }

    /** Inversion timesteps ({@code DDIMInverseScheduler}, leading spacing), least noisy first. */
    public long[] inverseTimesteps(int steps) {
        requireSteps(steps);
        int ratio = config.numTrainTimesteps() / steps;
        long[] t = new long[steps];
        for (int i = 0; i < steps; i++) {
            t[i] = (long) i * ratio + config.stepsOffset();
        }
        return t;
    }

    /** One sampling step from {@code t} to the previous (less noisy) timestep of a {@code steps}-step schedule. */
    public NDArray step(NDArray modelOutput, long t, NDArray sample, int steps) {
        long previous = t - config.numTrainTimesteps() / steps;
        double alpha = alphasCumprod[(int) t];
        double alphaPrevious = previous >= 0 ? alphasCumprod[(int) previous] : finalAlphaCumprod;
        return update(modelOutput, sample, alpha, alphaPrevious);
    }

    /** One inversion step: the latent at {@code t} from the one a step below it ({@code DDIMInverseScheduler.step}). */
    public NDArray inverseStep(NDArray modelOutput, long t, NDArray sample, int steps) {
        long from = Math.min(t - config.numTrainTimesteps() / steps, config.numTrainTimesteps() - 1);
        double alpha = from >= 0 ? alphasCumprod[(int) from] : (config.setAlphaToOne() ? 1.0 : alphasCumprod[0]);
        return update(modelOutput, sample, alpha, alphasCumprod[(int) t]);
    }

    public double alphaCumprod(long t) {
        return alphasCumprod[(int) t];
    }

    private NDArray update(NDArray output, NDArray sample, double alpha, double alphaNext) {
        double beta = 1 - alpha;
        NDArray x0;
        NDArray eps;
        switch (config.predictionType()) {
            case "epsilon" -> {
                x0 = sample.sub(output.mul((float) Math.sqrt(beta))).div((float) Math.sqrt(alpha));
                eps = output;
            }
            case "v_prediction" -> {
                x0 = sample.mul((float) Math.sqrt(alpha)).sub(output.mul((float) Math.sqrt(beta)));
                eps = output.mul((float) Math.sqrt(alpha)).add(sample.mul((float) Math.sqrt(beta)));
            }
            default -> { // sample
                x0 = output;
                eps = sample.sub(output.mul((float) Math.sqrt(alpha))).div((float) Math.sqrt(beta));
            }
        }
        if (config.clipSample()) {
            float range = config.clipSampleRange().floatValue();
            x0 = x0.clip(-range, range);
        }
        return x0.mul((float) Math.sqrt(alphaNext)).add(eps.mul((float) Math.sqrt(1 - alphaNext)));
    }

    private void requireSteps(int steps) {
        if (steps < 1 || steps > config.numTrainTimesteps()) {
            throw new IllegalArgumentException("steps must be in [1, " + config.numTrainTimesteps() + "], got " + steps);
        }
    }
}
