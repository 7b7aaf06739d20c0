package org.editstream.models.clip;

/** The text tower's {@code config.json} (a CLIPTextModel's, or the {@code text_config} of a CLIPModel). */
public record ClipTextConfig(
        Integer vocabSize,
        Integer hiddenSize,
        Integer intermediateSize,
        Integer numHiddenLayers,
        Integer numAttentionHeads,
        Integer maxPositionEmbeddings,
        String hiddenAct,
        Double layerNormEps,
        Integer eosTokenId,
        Integer projectionDim) {

    public ClipTextConfig {
        vocabSize = vocabSize == null ? 49408 : vocabSize;
        hiddenSize = hiddenSize == null ? 512 : hiddenSize;
        intermediateSize = intermediateSize == null ? 2048 : intermediateSize;
        numHiddenLayers = numHiddenLayers == null ? 12 : numHiddenLayers;
        numAttentionHeads = numAttentionHeads == null ? 8 : numAttentionHeads;
        maxPositionEmbeddings = maxPositionEmbeddings == null ? 77 : maxPositionEmbeddings;
        hiddenAct = hiddenAct == null ? "quick_gelu" : hiddenAct;
        layerNormEps = layerNormEps == null ? 1e-5 : layerNormEps;
        eosTokenId = eosTokenId == null ? 49407 : eosTokenId;
        projectionDim = projectionDim == null ? 512 : projectionDim;
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " does not split into "
                    + numAttentionHeads + " heads");
        }
    }
}
