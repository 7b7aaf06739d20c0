package org.editstream.models.nn;

import java.util.concurrent.atomic.LongAdder;

/**
 * The floating-point operations of the layers' products in this JVM: convolutions, linear layers and attention's two
 * batched products, counted from their shapes (a multiply-add is two), as model FLOPs utilisation counts them. The
 * element-wise work (norms, activations, softmax) is left out, as it is in MFU.
 */
public final class Flops {
    private static final LongAdder TOTAL = new LongAdder();

    private Flops() {
    }

    /** The count so far; a benchmark's work is the difference around it. */
    public static long total() {
        return TOTAL.sum();
    }

    static void add(long flops) {
        TOTAL.add(flops);
    }

    /** A convolution's: 2 x output elements x the inputs each reads (in channels x kernel area). */
    static long convolution(long outputElements, long inChannels, long kernelArea) {
        return 2 * outputElements * inChannels * kernelArea;
    }

    /** A linear layer's: 2 x rows x in x out. */
    static long linear(long rows, long in, long out) {
        return 2 * rows * in * out;
    }

    /** Attention's q k^T and p v: 2 x 2 x batch x heads x Tq x Tk x head size. */
    static long attention(long batchHeads, long tq, long tk, long headDim) {
        return 4 * batchHeads * tq * tk * headDim;
    }
}
