package org.editstream.models.sam;

import java.util.List;

/**
 * The sizes of a Segment Anything model (the reference's {@code build_sam} arguments, in snake_case, as in
 * {@code config.json} beside the converted weights). The defaults are ViT-B's.
 *
 * @param encoderGlobalAttnIndexes the image encoder's blocks with global attention; the others attend within windows
 * @param promptEmbedDim           the prompt encoder's and mask decoder's width, and the image embedding's channels
 */
public record SamConfig(
        Integer imageSize,
        Integer patchSize,
        Integer encoderEmbedDim,
        Integer encoderDepth,
        Integer encoderNumHeads,
        List<Integer> encoderGlobalAttnIndexes,
        Integer windowSize,
        Integer mlpRatio,
        Boolean qkvBias,
        Boolean useRelPos,
        Double layerNormEpsEncoder,
        Integer promptEmbedDim,
        Integer maskInChans,
        Integer numMultimaskOutputs,
        Integer decoderTransformerDepth,
        Integer decoderMlpDim,
        Integer decoderNumHeads,
        Integer iouHeadDepth,
        Integer iouHeadHiddenDim,
        List<Double> pixelMean,
        List<Double> pixelStd) {

    public SamConfig {
        imageSize = imageSize == null ? 1024 : imageSize;
        patchSize = patchSize == null ? 16 : patchSize;
        encoderEmbedDim = encoderEmbedDim == null ? 768 : encoderEmbedDim;
        encoderDepth = encoderDepth == null ? 12 : encoderDepth;
        encoderNumHeads = encoderNumHeads == null ? 12 : encoderNumHeads;
        encoderGlobalAttnIndexes = encoderGlobalAttnIndexes == null ? List.of(2, 5, 8, 11) : List.copyOf(encoderGlobalAttnIndexes);
        windowSize = windowSize == null ? 14 : windowSize;
        mlpRatio = mlpRatio == null ? 4 : mlpRatio;
        qkvBias = qkvBias == null || qkvBias;
        useRelPos = useRelPos == null || useRelPos;
        layerNormEpsEncoder = layerNormEpsEncoder == null ? 1e-6 : layerNormEpsEncoder;
        promptEmbedDim = promptEmbedDim == null ? 256 : promptEmbedDim;
        maskInChans = maskInChans == null ? 16 : maskInChans;
        numMultimaskOutputs = numMultimaskOutputs == null ? 3 : numMultimaskOutputs;
        decoderTransformerDepth = decoderTransformerDepth == null ? 2 : decoderTransformerDepth;
        decoderMlpDim = decoderMlpDim == null ? 2048 : decoderMlpDim;
        decoderNumHeads = decoderNumHeads == null ? 8 : decoderNumHeads;
        iouHeadDepth = iouHeadDepth == null ? 3 : iouHeadDepth;
        iouHeadHiddenDim = iouHeadHiddenDim == null ? 256 : iouHeadHiddenDim;
        pixelMean = pixelMean == null ? List.of(123.675, 116.28, 103.53) : List.copyOf(pixelMean);
        pixelStd = pixelStd == null ? List.of(58.395, 57.12, 57.375) : List.copyOf(pixelStd);
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }
        if (encoderEmbedDim % encoderNumHeads != 0) {
            throw new IllegalArgumentException("encoder_embed_dim " + encoderEmbedDim + " does not split into " + encoderNumHeads + " heads");
        }
        if (promptEmbedDim % 8 != 0 || (promptEmbedDim / 2) % decoderNumHeads != 0) {
            throw new IllegalArgumentException("prompt_embed_dim " + promptEmbedDim + " must be a multiple of 8 whose half splits into "
                    + decoderNumHeads + " heads");
        }
        if (pixelMean.size() != 3 || pixelStd.size() != 3) {
            throw new IllegalArgumentException("pixel_mean and pixel_std need 3 values each");
        }
    }

    /** Side of the image embedding's grid (64 for 1024 px at patch 16). */
    public int embeddingSide() {
        return imageSize / patchSize;
    }
}
