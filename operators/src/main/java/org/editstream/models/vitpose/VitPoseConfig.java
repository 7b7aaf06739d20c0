package org.editstream.models.vitpose;

import java.util.List;
import java.util.Map;

/**
 * A Hugging Face {@code VitPoseConfig} ({@code VitPoseForPoseEstimation}'s {@code config.json}): the ViT backbone's
 * sizes in {@code backbone_config}, the decoder kind and its upsampling factor, the keypoint labels.
 */
public record VitPoseConfig(Backbone backboneConfig, Boolean useSimpleDecoder, Integer scaleFactor, Map<String, String> id2label,
                            Integer numLabels) {
    /** {@code backbone_config}; the defaults are ViTPose-B's. */
    public record Backbone(List<Integer> imageSize, List<Integer> patchSize, Integer numChannels, Integer hiddenSize,
                           Integer numHiddenLayers, Integer numAttentionHeads, Integer mlpRatio, Integer numExperts,
                           String hiddenAct, Double layerNormEps, Boolean qkvBias, List<Integer> outIndices) {
        public Backbone {
            imageSize = imageSize == null ? List.of(256, 192) : List.copyOf(imageSize);
            patchSize = patchSize == null ? List.of(16, 16) : List.copyOf(patchSize);
            numChannels = numChannels == null ? 3 : numChannels;
            hiddenSize = hiddenSize == null ? 768 : hiddenSize;
            numHiddenLayers = numHiddenLayers == null ? 12 : numHiddenLayers;
            numAttentionHeads = numAttentionHeads == null ? 12 : numAttentionHeads;
            mlpRatio = mlpRatio == null ? 4 : mlpRatio;
            numExperts = numExperts == null ? 1 : numExperts;
            hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
            layerNormEps = layerNormEps == null ? 1e-12 : layerNormEps;
            qkvBias = qkvBias == null || qkvBias;
            outIndices = outIndices == null ? List.of(numHiddenLayers) : List.copyOf(outIndices);
            if (numExperts != 1) {
                throw new IllegalArgumentException("num_experts " + numExperts + " (ViTPose+ mixture of experts) is not supported");
            }
            if (!patchSize.get(0).equals(patchSize.get(1))) {
                throw new IllegalArgumentException("square patches only, not " + patchSize);
            }
            if (hiddenSize % numAttentionHeads != 0) {
                throw new IllegalArgumentException("hidden_size " + hiddenSize + " does not split into " + numAttentionHeads + " heads");
            }
        }

        /** The crop's height and width. */
        public int height() {
            return imageSize.get(0);
        }

        public int width() {
            return imageSize.get(1);
        }

        public int patch() {
            return patchSize.get(0);
        }
    }

    public VitPoseConfig {
        backboneConfig = backboneConfig == null ? new Backbone(null, null, null, null, null, null, null, null, null, null, null, null)
                : backboneConfig;
        useSimpleDecoder = useSimpleDecoder == null || useSimpleDecoder;
        scaleFactor = scaleFactor == null ? 4 : scaleFactor;
        id2label = id2label == null ? Map.of() : Map.copyOf(id2label);
    }

    /** Keypoints per person: {@code num_labels}, else the size of {@code id2label}, else COCO's 17. */
    public int keypoints() {
        return numLabels != null ? numLabels : id2label.isEmpty() ? 17 : id2label.size();
    }
}
