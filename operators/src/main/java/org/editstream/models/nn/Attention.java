package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention over heads; every attention layer of every model calls this one function.
 * Attention control reads and replaces the probabilities, so a layer with a hook materialises them. A layer
 * without one goes through libtorch's fused {@code scaled_dot_product_attention} ({@link Kernels}): blocked, the
 * probabilities never written out, and flash or memory-efficient kernels on GPUs. With
 * {@code -Deditstream.fused-attention=false} every layer materialises its probabilities (for comparisons).
 */
public final class Attention {
    /** System property that, set to {@code false}, computes every layer with materialised probabilities. */
    public static final String FUSED_PROPERTY = "editstream.fused-attention";
    private static final boolean FUSED = Boolean.parseBoolean(System.getProperty(FUSED_PROPERTY, "true"));

    private Attention() {
    }

    /** What may look at (and replace) the attention probabilities [B, heads, Tq, Tk] of one call. */
    @FunctionalInterface
    public interface ProbabilityHook {
        NDArray apply(NDArray probabilities);
    }

    /**
     * @param q    [B, Tq, C] queries
     * @param k    [B, Tk, C] keys
     * @param v    [B, Tk, C] values
     * @param mask additive mask broadcastable to [B, heads, Tq, Tk], or null
     * @param hook sees the probabilities and returns those to use, or null when nothing needs them
     * @return [B, Tq, C]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, int heads, NDArray mask, ProbabilityHook hook) {
        Flops.add(Flops.attention(q.getShape().get(0) * heads, q.getShape().get(1), k.getShape().get(1), q.getShape().get(2) / heads));
        return hook == null && FUSED ? Kernels.attention(q, k, v, heads, mask) : materialised(q, k, v, heads, mask, hook);
    }

    /**
     * softmax(q k^T * scale) v for heads already split: q [B, heads, Tq, D], k [B, heads, Tk, D], v [B, heads, Tk, D];
     * the result [B, heads, Tq, D]. For layers whose logits are more than a scaled dot product of the heads' own
     * queries and keys: the caller appends features to q and k (and zeros to v) whose products are the extra logits.
     */
    public static NDArray attendHeads(NDArray q, NDArray k, NDArray v, double scale) {
        Shape s = q.getShape();
        Flops.add(Flops.attention(s.get(0) * s.get(1), s.get(2), k.getShape().get(2), s.get(3)));
        if (FUSED) {
            return Kernels.scaledAttention(q, k, v, scale);
        }
        NDArray probabilities = q.mul((float) scale).matMul(k.transpose(0, 1, 3, 2)).softmax(-1);
        return probabilities.matMul(v);
    }

    /** How layers without a hook are computed in this JVM, for start-up lines and benchmarks. */
    public static String unobservedLayers() {
        return FUSED ? "fused (libtorch scaled_dot_product_attention)"
                : "probabilities materialised (-D" + FUSED_PROPERTY + "=false)";
    }

    /** softmax(q k^T / sqrt(d) + mask) v with the probabilities [B, heads, Tq, Tk] as an array the hook may see. */
    static NDArray materialised(NDArray q, NDArray k, NDArray v, int heads, NDArray mask, ProbabilityHook hook) {
        long batch = q.getShape().get(0);
        long tq = q.getShape().get(1);
        long channels = q.getShape().get(2);
        long headDim = channels / heads;
        // scaling the queries costs Tq x C multiplications, scaling the scores Tq x Tk x heads
        NDArray scores = splitHeads(q.mul((float) (1.0 / Math.sqrt(headDim))), heads, headDim)
                .matMul(splitHeads(k, heads, headDim).transpose(0, 1, 3, 2));
        if (mask != null) {
            scores.addi(mask);
        }
        NDArray probabilities = scores.softmax(-1);
        scores.close(); // the largest intermediate: its memory goes back before the next one is made
        if (hook != null) {
            probabilities = hook.apply(probabilities);
        }
        return probabilities.matMul(splitHeads(v, heads, headDim)).transpose(0, 2, 1, 3).reshape(batch, tq, channels);
    }

    private static NDArray splitHeads(NDArray x, int heads, long headDim) {
        return x.reshape(x.getShape().get(0), x.getShape().get(1), heads, headDim).transpose(0, 2, 1, 3);
    }
}
