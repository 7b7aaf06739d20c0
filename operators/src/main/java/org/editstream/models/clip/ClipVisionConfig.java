package org.editstream.models.clip;

/** The {@code vision_config} of a CLIPModel (or a CLIPVisionModel's config.json). */
public record ClipVisionConfig(
        Integer hiddenSize,
        Integer intermediateSize,
        Integer numHiddenLayers,
        Integer numAttentionHeads,
        Integer imageSize,
        Integer patchSize,
        Integer numChannels,
        String hiddenAct,
        Double layerNormEps) {

    public ClipVisionConfig {
        hiddenSize = hiddenSize == null ? 768 : hiddenSize;
        intermediateSize = intermediateSize == null ? 3072 : intermediateSize;
        numHiddenLayers = numHiddenLayers == null ? 12 : numHiddenLayers;
        numAttentionHeads = numAttentionHeads == null ? 12 : numAttentionHeads;
        imageSize = imageSize == null ? 224 : imageSize;
        patchSize = patchSize == null ? 32 : patchSize;
        numChannels = numChannels == null ? 3 : numChannels;
        hiddenAct = hiddenAct == null ? "quick_gelu" : hiddenAct;
        layerNormEps = layerNormEps == null ? 1e-5 : layerNormEps;
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " does not split into " + numAttentionHeads + " heads");
        }
    }

    public int patches() {
        int side = imageSize / patchSize;
        return side * side;
    }
}
