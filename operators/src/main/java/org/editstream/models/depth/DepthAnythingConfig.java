package org.editstream.models.depth;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import org.editstream.models.dino.Dinov2Config;

import java.util.List;

/**
 * A Depth Anything V2 {@code config.json}: the DINOv2 backbone's sizes (read into {@link Dinov2Config} from the same
 * keys) and the DPT head's: which blocks it reads, its projection widths and fusion width, batch norm and class-token
 * readout, the preprocessing's mean and std and the input side (518 in the reference's {@code infer_image}).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DepthAnythingConfig(
        List<Integer> intermediateLayerIdx,
        List<Integer> outChannels,
        Integer features,
        Boolean useBn,
        Boolean useClstoken,
        List<Double> imageMean,
        List<Double> imageStd,
        Integer inputSize) {

    public DepthAnythingConfig {
        intermediateLayerIdx = intermediateLayerIdx == null ? List.of(2, 5, 8, 11) : List.copyOf(intermediateLayerIdx);
        outChannels = outChannels == null ? List.of(48, 96, 192, 384) : List.copyOf(outChannels);
        features = features == null ? 64 : features;
        useBn = useBn != null && useBn;
        useClstoken = useClstoken != null && useClstoken;
        imageMean = imageMean == null ? List.of(0.485, 0.456, 0.406) : List.copyOf(imageMean);
        imageStd = imageStd == null ? List.of(0.229, 0.224, 0.225) : List.copyOf(imageStd);
        inputSize = inputSize == null ? 518 : inputSize;
        if (intermediateLayerIdx.size() != 4 || outChannels.size() != 4) {
            throw new IllegalArgumentException("the DPT head reads 4 blocks into 4 widths: intermediate_layer_idx "
                    + intermediateLayerIdx + ", out_channels " + outChannels);
        }
        if (imageMean.size() != 3 || imageStd.size() != 3) {
            throw new IllegalArgumentException("image_mean and image_std need 3 values each");
        }
    }
}
