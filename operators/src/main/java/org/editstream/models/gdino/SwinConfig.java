package org.editstream.models.gdino;

import java.util.List;

/**
 * The sizes of a Swin backbone: a Hugging Face {@code SwinConfig} (Grounding DINO's {@code backbone_config}), in
 * snake_case. {@code outFeatures} names the stages whose maps the backbone hands on ({@code stage1} ... {@code stageN}).
 */
public record SwinConfig(
        Integer embedDim,
        List<Integer> depths,
        List<Integer> numHeads,
        Integer windowSize,
        Double mlpRatio,
        Integer patchSize,
        Integer numChannels,
        Double layerNormEps,
        Boolean qkvBias,
        Boolean useAbsoluteEmbeddings,
        String hiddenAct,
        List<String> outFeatures) {

    public SwinConfig {
        embedDim = embedDim == null ? 96 : embedDim;
        depths = depths == null ? List.of(2, 2, 6, 2) : List.copyOf(depths);
        numHeads = numHeads == null ? List.of(3, 6, 12, 24) : List.copyOf(numHeads);
        windowSize = windowSize == null ? 7 : windowSize;
        mlpRatio = mlpRatio == null ? 4.0 : mlpRatio;
        patchSize = patchSize == null ? 4 : patchSize;
        numChannels = numChannels == null ? 3 : numChannels;
        layerNormEps = layerNormEps == null ? 1e-5 : layerNormEps;
        qkvBias = qkvBias == null || qkvBias;
        useAbsoluteEmbeddings = useAbsoluteEmbeddings != null && useAbsoluteEmbeddings;
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
        outFeatures = outFeatures == null ? List.of("stage" + depths.size()) : List.copyOf(outFeatures);
        if (depths.size() != numHeads.size()) {
            throw new IllegalArgumentException(depths.size() + " Swin stages but " + numHeads.size() + " head counts");
        }
        if (useAbsoluteEmbeddings) {
            throw new IllegalArgumentException("Swin with absolute position embeddings is not supported (Grounding DINO uses none)");
        }
        for (String stage : outFeatures) {
            int s = stage.startsWith("stage") ? Integer.parseInt(stage.substring(5)) : -1;
            if (s < 1 || s > depths.size()) {
                throw new IllegalArgumentException("out feature " + stage + " is not one of stage1 ... stage" + depths.size());
            }
        }
    }

    /** Channels of stage {@code s} (1-based): the embedding width doubled at each merge. */
    public long channels(int s) {
        return (long) embedDim << (s - 1);
    }
}
