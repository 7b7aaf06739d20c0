package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/**
 * Scaled dot-product attention over heads, with the probabilities materialised: attention control reads and
 * replaces them, so every attention layer of every model calls this one function. When nothing looks at the
 * probabilities and the scores would be large, the queries go through in chunks of rows, so each chunk's scores
 * stay small enough to be written, normalised and read while still in cache; softmax is per row, so every
 * row's result is what it is unchunked.
 */
public final class Attention {
    /** Scores (batch x heads x query rows x keys) above which an unobserved layer is computed in row chunks... */
    static final long CHUNK_SCORES = 4L << 20;
    /**
     * ... if each head's score matrix (query rows x keys) is at least this large too: smaller ones already fit in
     * cache, and chunking them only adds calls (measured: a [2, 8, 1024, 1024] layer takes half the time in chunks,
     * [2, 8, 256, 256] and [2, 8, 1024, 77] ones take longer, and so did 16 rows of 256 x 256).
     */
    static final long CHUNK_MATRIX = 512L * 512;

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
        return attend(q, k, v, heads, mask, hook, CHUNK_SCORES, CHUNK_MATRIX);
    }

    static NDArray attend(NDArray q, NDArray k, NDArray v, int heads, NDArray mask, ProbabilityHook hook, long chunkScores,
                          long chunkMatrix) {
        long batch = q.getShape().get(0);
        long tq = q.getShape().get(1);
        long tk = k.getShape().get(1);
        long channels = q.getShape().get(2);
        long headDim = channels / heads;
        // scaling the queries costs Tq x C multiplications, scaling the scores Tq x Tk x heads
        NDArray qh = splitHeads(q.mul((float) (1.0 / Math.sqrt(headDim))), heads, headDim);
        NDArray kt = splitHeads(k, heads, headDim).transpose(0, 1, 3, 2);
        NDArray vh = splitHeads(v, heads, headDim);
        long perRow = batch * heads * tk;
        NDArray attended;
        if (hook != null || mask != null || perRow * tq <= chunkScores || tq * tk < chunkMatrix) {
            attended = weigh(qh, kt, vh, mask, hook);
        } else {
            long rows = Math.max(1, chunkScores / perRow);
            NDList parts = new NDList();
            for (long from = 0; from < tq; from += rows) {
                NDArray chunk = qh.get(":, :, " + from + ":" + Math.min(tq, from + rows));
                parts.add(weigh(chunk, kt, vh, null, null));
                chunk.close();
            }
            attended = NDArrays.concat(parts, 2);
            parts.close();
        }
        return attended.transpose(0, 2, 1, 3).reshape(batch, tq, channels);
    }

    /** softmax(q k^T + mask) v for queries [B, heads, rows, d]. */
    private static NDArray weigh(NDArray qh, NDArray kt, NDArray vh, NDArray mask, ProbabilityHook hook) {
        NDArray scores = qh.matMul(kt);
        if (mask != null) {
            NDArray masked = scores.add(mask);
            scores.close();
            scores = masked;
        }
        NDArray probabilities = scores.softmax(-1);
        scores.close(); // the largest intermediate: its memory goes back before the next one is made
        if (hook != null) {
            probabilities = hook.apply(probabilities);
        }
        return probabilities.matMul(vh);
    }

    private static NDArray splitHeads(NDArray x, int heads, long headDim) {
        return x.reshape(x.getShape().get(0), x.getShape().get(1), heads, headDim).transpose(0, 2, 1, 3);
    }
}
