package org.editstream.models.gdino;

/**
 * The sizes of a Grounding DINO checkpoint: a Hugging Face {@code config.json} ({@code GroundingDinoConfig}), in
 * snake_case, with the Swin backbone's own config inside.
 */
public record GroundingDinoConfig(
        SwinConfig backboneConfig,
        Integer dModel,
        Integer positionalEmbeddingTemperature,
        Integer maxTextLen,
        Integer numFeatureLevels) {

    public GroundingDinoConfig {
        if (backboneConfig == null) {
            throw new IllegalArgumentException("a Grounding DINO config needs its backbone_config (Swin)");
        }
        dModel = dModel == null ? 256 : dModel;
        positionalEmbeddingTemperature = positionalEmbeddingTemperature == null ? 20 : positionalEmbeddingTemperature;
        maxTextLen = maxTextLen == null ? 256 : maxTextLen;
        numFeatureLevels = numFeatureLevels == null ? 4 : numFeatureLevels;
    }
}
