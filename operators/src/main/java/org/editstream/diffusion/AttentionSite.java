package org.editstream.diffusion;

/**
 * One attention layer of the UNet, as hooks see it.
 *
 * @param name        the layer's parameter path, e.g. {@code up_blocks.1.attentions.0.transformer_blocks.0.attn2}
 * @param place       down, mid or up
 * @param block       index of the block within its place (0 for mid)
 * @param attention   index of the transformer (Transformer2D) within its block
 * @param cross       cross-attention (to the text) rather than self-attention
 * @param queryLength queries per head (height x width of the layer's feature map)
 */
public record AttentionSite(String name, Place place, int block, int attention, boolean cross, long queryLength) {
    public enum Place { DOWN, MID, UP }
}
