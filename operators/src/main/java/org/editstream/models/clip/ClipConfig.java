package org.editstream.models.clip;

/** A Hugging Face {@code CLIPModel} {@code config.json}: both towers and the shared projection. */
public record ClipConfig(ClipTextConfig textConfig, ClipVisionConfig visionConfig, Integer projectionDim,
                         Double logitScaleInitValue) {
    public ClipConfig {
        textConfig = textConfig == null ? new ClipTextConfig(null, null, null, null, null, null, null, null, null, null) : textConfig;
        visionConfig = visionConfig == null ? new ClipVisionConfig(null, null, null, null, null, null, null, null, null) : visionConfig;
        projectionDim = projectionDim == null ? 512 : projectionDim;
        logitScaleInitValue = logitScaleInitValue == null ? 2.6592 : logitScaleInitValue;
    }
}
