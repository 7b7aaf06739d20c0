package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Where attention control and feature injection plug into the UNet. Every attention layer calls
 * {@link #queriesAndKeys} before its scores and {@link #probabilities} after its softmax; every ResNet block
 * calls {@link #resnetResidual} on its residual branch (after conv2, before the shortcut is added). The
 * defaults change nothing. Arrays handed back must be on the argument's manager.
 */
public interface UNetHooks {
    UNetHooks NONE = new UNetHooks() {
        @Override
        public boolean readsProbabilities(AttentionSite site) {
            return false;
        }
    };

    /** Called by the sampling loops before each UNet call: step index (0 = noisiest) and timestep. */
    default void beginStep(int index, long timestep) {
    }

    /** Called by the sampling loops with the latents a step produced; returns those to go on with. */
    default NDArray endStep(int index, NDArray latents) {
        return latents;
    }

    /** Queries and keys [B, T, C] of the layer; return the pair to use (the same arrays to leave them). */
    default NDArray[] queriesAndKeys(AttentionSite site, NDArray queries, NDArray keys) {
        return new NDArray[] {queries, keys};
    }

    /**
     * Whether {@link #probabilities} must see this layer's probabilities in the current step. When it need not,
     * the layer may compute attention without materialising them all at once (see {@code Attention}).
     */
    default boolean readsProbabilities(AttentionSite site) {
        return true;
    }

    /** Attention probabilities [B, heads, Tq, Tk]; return those to use. */
    default NDArray probabilities(AttentionSite site, NDArray probabilities) {
        return probabilities;
    }

    /** The residual branch [B, C, H, W] of the ResNet block at {@code site} (e.g. {@code up_blocks.1.resnets.1}). */
    default NDArray resnetResidual(String site, NDArray residual) {
        return residual;
    }
}
