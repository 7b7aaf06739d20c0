package org.editstream.diffusion;

import org.editstream.models.ModelException;

import java.util.List;

/** A diffusers DDIM scheduler {@code scheduler_config.json} (the inverse scheduler reads the same keys). */
public record SchedulerConfig(
        Integer numTrainTimesteps,
        Double betaStart,
        Double betaEnd,
        String betaSchedule,
        List<Double> trainedBetas,
        Boolean clipSample,
        Double clipSampleRange,
        Boolean setAlphaToOne,
        Integer stepsOffset,
        String predictionType,
        String timestepSpacing,
        Boolean thresholding,
        Boolean rescaleBetasZeroSnr) {

    public SchedulerConfig {
        numTrainTimesteps = numTrainTimesteps == null ? 1000 : numTrainTimesteps;
        betaStart = betaStart == null ? 0.0001 : betaStart;
        betaEnd = betaEnd == null ? 0.02 : betaEnd;
        betaSchedule = betaSchedule == null ? "linear" : betaSchedule;
        clipSample = clipSample == null || clipSample;
        clipSampleRange = clipSampleRange == null ? 1.0 : clipSampleRange;
        setAlphaToOne = setAlphaToOne == null || setAlphaToOne;
        stepsOffset = stepsOffset == null ? 0 : stepsOffset;
        predictionType = predictionType == null ? "epsilon" : predictionType;
        timestepSpacing = timestepSpacing == null ? "leading" : timestepSpacing;
        if (thresholding != null && thresholding) {
            throw new ModelException("scheduler config: dynamic thresholding is not supported by this engine");
        }
        if (rescaleBetasZeroSnr != null && rescaleBetasZeroSnr) {
            throw new ModelException("scheduler config: rescale_betas_zero_snr is not supported by this engine");
        }
        if (!List.of("epsilon", "v_prediction", "sample").contains(predictionType)) {
            throw new ModelException("scheduler config: unknown prediction_type " + predictionType);
        }
        if (!List.of("leading", "trailing", "linspace").contains(timestepSpacing)) {
            throw new ModelException("scheduler config: unknown timestep_spacing " + timestepSpacing);
        }
        if (trainedBetas == null && !List.of("linear", "scaled_linear", "squaredcos_cap_v2").contains(betaSchedule)) {
            throw new ModelException("scheduler config: unknown beta_schedule " + betaSchedule);
        }
    }
}
