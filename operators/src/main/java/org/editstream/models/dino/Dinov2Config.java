package org.editstream.models.dino;

/**
 * The sizes of a DINOv2 ViT (the reference's {@code DinoVisionTransformer} arguments, in snake_case): the keys of a
 * Depth Anything V2 {@code config.json}, or of a DINOv2 checkpoint's.
 *
 * @param posEmbedGrid      side of the learned position grid (37 for 518 px at patch 14)
 * @param interpolateOffset added to the patch grid's sides before the positions' bicubic scale factors (0.1)
 */
public record Dinov2Config(
        Integer embedDim,
        Integer depth,
        Integer numHeads,
        Integer mlpRatio,
        Integer patchSize,
        Integer posEmbedGrid,
        Double layerNormEps,
        Boolean layerScale,
        Double interpolateOffset,
        Boolean interpolateAntialias,
        Integer numRegisterTokens,
        String ffnLayer) {

    public Dinov2Config {
        embedDim = embedDim == null ? 384 : embedDim;
        depth = depth == null ? 12 : depth;
        numHeads = numHeads == null ? 6 : numHeads;
        mlpRatio = mlpRatio == null ? 4 : mlpRatio;
        patchSize = patchSize == null ? 14 : patchSize;
        posEmbedGrid = posEmbedGrid == null ? 37 : posEmbedGrid;
        layerNormEps = layerNormEps == null ? 1e-6 : layerNormEps;
        layerScale = layerScale == null || layerScale;
        interpolateOffset = interpolateOffset == null ? 0.1 : interpolateOffset;
        interpolateAntialias = interpolateAntialias != null && interpolateAntialias;
        numRegisterTokens = numRegisterTokens == null ? 0 : numRegisterTokens;
        ffnLayer = ffnLayer == null ? "mlp" : ffnLayer;
        if (embedDim % numHeads != 0) {
            throw new IllegalArgumentException("embed_dim " + embedDim + " does not split into " + numHeads + " heads");
        }
        if (interpolateAntialias) {
            throw new IllegalArgumentException("interpolate_antialias true is not supported (the published checkpoints use false)");
        }
        if (!ffnLayer.equals("mlp")) {
            throw new IllegalArgumentException("ffn_layer '" + ffnLayer + "' is not supported (only 'mlp': ViT-S/B/L)");
        }
    }
}
