package org.editstream.models.segformer;

import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code SegformerConfig} ({@code config.json} of {@code SegformerForSemanticSegmentation}): per stage
 * the depth, width, heads, spatial-reduction ratio, patch size, stride and MLP ratio; the decoder's width; the labels.
 * The defaults are MiT-b0's.
 */
public record SegformerConfig(
        Integer numChannels,
        Integer numEncoderBlocks,
        List<Integer> depths,
        List<Integer> hiddenSizes,
        List<Integer> numAttentionHeads,
        List<Integer> srRatios,
        List<Integer> patchSizes,
        List<Integer> strides,
        List<Integer> mlpRatios,
        Integer decoderHiddenSize,
        String hiddenAct,
        Boolean reshapeLastStage,
        Map<String, String> id2label,
        Integer numLabels) {

    public SegformerConfig {
        numChannels = numChannels == null ? 3 : numChannels;
        numEncoderBlocks = numEncoderBlocks == null ? 4 : numEncoderBlocks;
        depths = depths == null ? List.of(2, 2, 2, 2) : List.copyOf(depths);
        hiddenSizes = hiddenSizes == null ? List.of(32, 64, 160, 256) : List.copyOf(hiddenSizes);
        numAttentionHeads = numAttentionHeads == null ? List.of(1, 2, 5, 8) : List.copyOf(numAttentionHeads);
        srRatios = srRatios == null ? List.of(8, 4, 2, 1) : List.copyOf(srRatios);
        patchSizes = patchSizes == null ? List.of(7, 3, 3, 3) : List.copyOf(patchSizes);
        strides = strides == null ? List.of(4, 2, 2, 2) : List.copyOf(strides);
        mlpRatios = mlpRatios == null ? List.of(4, 4, 4, 4) : List.copyOf(mlpRatios);
        decoderHiddenSize = decoderHiddenSize == null ? 256 : decoderHiddenSize;
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
        reshapeLastStage = reshapeLastStage == null || reshapeLastStage;
        id2label = id2label == null ? Map.of() : Map.copyOf(id2label);
        for (List<Integer> perStage : List.of(depths, hiddenSizes, numAttentionHeads, srRatios, patchSizes, strides, mlpRatios)) {
            if (perStage.size() != numEncoderBlocks) {
                throw new IllegalArgumentException("every per-stage list needs " + numEncoderBlocks + " entries: " + perStage);
            }
        }
        for (int i = 0; i < numEncoderBlocks; i++) {
            if (hiddenSizes.get(i) % numAttentionHeads.get(i) != 0) {
                throw new IllegalArgumentException("stage " + i + ": hidden size " + hiddenSizes.get(i) + " does not split into "
                        + numAttentionHeads.get(i) + " heads");
            }
        }
    }

    /** The number of labels: {@code num_labels}, else the size of {@code id2label}, else ADE20K's 150. */
    public int labels() {
        return numLabels != null ? numLabels : id2label.isEmpty() ? 150 : id2label.size();
    }
}
