package org.editstream.models.gdino;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The sizes of a Grounding DINO checkpoint: a Hugging Face {@code config.json} ({@code GroundingDinoConfig}), in
 * snake_case, with the Swin backbone's and the BERT text backbone's own configs inside. (The point counts are named
 * explicitly: the snake_case strategy would read {@code encoderNPoints} as {@code encoder_npoints}.)
 */
public record GroundingDinoConfig(
        SwinConfig backboneConfig,
        BertConfig textConfig,
        Integer dModel,
        Integer positionalEmbeddingTemperature,
        Integer maxTextLen,
        Integer numFeatureLevels,
        Integer encoderLayers,
        Integer encoderAttentionHeads,
        Integer encoderFfnDim,
        @JsonProperty("encoder_n_points") Integer encoderNPoints,
        Integer decoderLayers,
        Integer decoderAttentionHeads,
        Integer decoderFfnDim,
        @JsonProperty("decoder_n_points") Integer decoderNPoints,
        Integer numQueries,
        Double layerNormEps,
        String activationFunction,
        Boolean twoStage,
        Boolean embeddingInitTarget,
        Boolean decoderBboxEmbedShare,
        Boolean twoStageBboxEmbedShare) {

    public GroundingDinoConfig {
        if (backboneConfig == null) {
            throw new IllegalArgumentException("a Grounding DINO config needs its backbone_config (Swin)");
        }
        textConfig = textConfig == null ? new BertConfig(null, null, null, null, null, null, null, null, null) : textConfig;
        dModel = dModel == null ? 256 : dModel;
        positionalEmbeddingTemperature = positionalEmbeddingTemperature == null ? 20 : positionalEmbeddingTemperature;
        maxTextLen = maxTextLen == null ? 256 : maxTextLen;
        numFeatureLevels = numFeatureLevels == null ? 4 : numFeatureLevels;
        encoderLayers = encoderLayers == null ? 6 : encoderLayers;
        encoderAttentionHeads = encoderAttentionHeads == null ? 8 : encoderAttentionHeads;
        encoderFfnDim = encoderFfnDim == null ? 2048 : encoderFfnDim;
        encoderNPoints = encoderNPoints == null ? 4 : encoderNPoints;
        decoderLayers = decoderLayers == null ? 6 : decoderLayers;
        decoderAttentionHeads = decoderAttentionHeads == null ? 8 : decoderAttentionHeads;
        decoderFfnDim = decoderFfnDim == null ? 2048 : decoderFfnDim;
        decoderNPoints = decoderNPoints == null ? 4 : decoderNPoints;
        numQueries = numQueries == null ? 900 : numQueries;
        layerNormEps = layerNormEps == null ? 1e-5 : layerNormEps;
        activationFunction = activationFunction == null ? "relu" : activationFunction;
        twoStage = twoStage == null || twoStage;
        embeddingInitTarget = embeddingInitTarget == null || embeddingInitTarget;
        decoderBboxEmbedShare = decoderBboxEmbedShare == null || decoderBboxEmbedShare;
        twoStageBboxEmbedShare = twoStageBboxEmbedShare != null && twoStageBboxEmbedShare;
        if (!twoStage || !embeddingInitTarget) {
            throw new IllegalArgumentException("only two-stage Grounding DINO with learned query embeddings is supported "
                    + "(the released checkpoints' two_stage and embedding_init_target)");
        }
        if (numFeatureLevels < backboneConfig.outFeatures().size()) {
            throw new IllegalArgumentException(numFeatureLevels + " feature levels for " + backboneConfig.outFeatures().size()
                    + " backbone stages");
        }
    }
}
