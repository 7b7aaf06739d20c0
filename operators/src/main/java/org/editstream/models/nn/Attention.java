package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;

/**
 * Scaled dot-product attention over heads, with the probabilities materialised: attention control reads and
 * replaces them, so every attention layer of every model calls this one function.
 */
public final class Attention {
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
     * @param hook sees the probabilities and returns those to use, or null
     * @return [B, Tq, C]
     */
    public static NDArray attend(NDArray q, NDArray k, NDArray v, int heads, NDArray mask, ProbabilityHook hook) {
        long batch = q.getShape().get(0);
        long tq = q.getShape().get(1);
        long channels = q.getShape().get(2);
        long headDim = channels / heads;
        // scaling the queries costs Tq x C multiplications, scaling the scores Tq x Tk x heads
        NDArray qh = splitHeads(q.mul((float) (1.0 / Math.sqrt(headDim))), heads, headDim);
        NDArray kh = splitHeads(k, heads, headDim);
        NDArray vh = splitHeads(v, heads, headDim);
        NDArray scores = qh.matMul(kh.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.add(mask);
        }
        NDArray probabilities = scores.softmax(-1);
        scores.close(); // the largest intermediate: its memory goes back before the next one is made
        if (hook != null) {
            probabilities = hook.apply(probabilities);
        }
        return probabilities.matMul(vh).transpose(0, 2, 1, 3).reshape(batch, tq, channels);
    }

    private static NDArray splitHeads(NDArray x, int heads, long headDim) {
        return x.reshape(x.getShape().get(0), x.getShape().get(1), heads, headDim).transpose(0, 2, 1, 3);
    }
}
