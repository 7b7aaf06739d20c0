package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The proof one layer computing with oneDNN's packed weights owes for every input shape: its first packed result for
 * the shape is compared with a reference that involves no oneDNN kernel, within {@link #ABSOLUTE_TOLERANCE} and
 * {@link #RELATIVE_TOLERANCE}. A layer whose packed result differs computes with the reference from then on, and one
 * logged line names the layer, the shape and the difference. Safe for concurrent calls.
 */
final class PackedProof {
    /**
     * A packed result may differ from the reference by this, plus {@link #RELATIVE_TOLERANCE} of the reference value
     * and of the reference's mean magnitude (float32 sums of hundreds of terms round to that, while the faults this
     * guards against are as large as the values themselves).
     */
    static final float ABSOLUTE_TOLERANCE = 1e-5f;
    static final float RELATIVE_TOLERANCE = 1e-4f;

    private static final Logger LOG = LoggerFactory.getLogger(PackedProof.class);

    /** How many layers of one kind compute with packed weights, and how many fell back. */
    static final class Counters {
        private final AtomicInteger packed = new AtomicInteger();
        private final AtomicInteger fellBack = new AtomicInteger();

        int packed() {
            return packed.get();
        }

        int fellBack() {
            return fellBack.get();
        }
    }

    private final String layer;
    private final String reference;
    private final String property;
    private final Counters counters;
    /** An input shape proven for one kernel of the layer (a linear layer's product with and without an activation). */
    private record Proven(Shape input, String kernel) {
    }

    private final Set<Proven> proven = ConcurrentHashMap.newKeySet();
    private volatile boolean fellBack;

    /**
     * @param layer     the layer, as its weights' path names it
     * @param reference what a fallen-back layer computes with, for the log line
     * @param property  the system property that turns this kind of packing off, for the log line
     */
    PackedProof(String layer, String reference, String property, Counters counters) {
        this.layer = layer;
        this.reference = reference;
        this.property = property;
        this.counters = counters;
    }

    boolean fellBack() {
        return fellBack;
    }

    /** The packed result {@code out} for an input of this shape when it is proven (now or before), else the reference. */
    NDArray checked(Shape input, NDArray out, Supplier<NDArray> referenceResult, String what) {
        return checked(input, "", out, referenceResult, what);
    }

    /** {@link #checked(Shape, NDArray, Supplier, String)} for one of the layer's kernels, each proven on its own. */
    NDArray checked(Shape input, String kernel, NDArray out, Supplier<NDArray> referenceResult, String what) {
        Proven key = new Proven(input, kernel);
        if (proven.contains(key)) {
            return out;
        }
        NDArray expected = referenceResult.get();
        String difference = difference(out, expected);
        if (difference == null) {
            expected.close();
            provenShape(key);
            return out;
        }
        out.close();
        fallBack(what + " " + layer + " differs from " + reference + " at input " + input + ": " + difference);
        return expected;
    }

    /** Null when {@code actual} equals {@code expected} within the tolerances, else how they differ. */
    static String difference(NDArray actual, NDArray expected) {
        if (!actual.getShape().equals(expected.getShape())) {
            return "shape " + actual.getShape() + " instead of " + expected.getShape();
        }
        float mean;
        try (NDArray magnitude = expected.abs(); NDArray numbers = magnitude.get(magnitude.isNaN().logicalNot())) {
            mean = numbers.isEmpty() ? 0f : numbers.mean().getFloat();
        }
        try (NDArray magnitude = expected.abs();
             NDArray error = actual.sub(expected).abs();
             NDArray bound = magnitude.add(mean).mul(RELATIVE_TOLERANCE).add(ABSOLUTE_TOLERANCE);
             NDArray expectedNumbers = expected.isNaN().logicalNot();
             // NaN compares false, so a NaN where the reference has a number is counted here
             NDArray wrong = error.lte(bound).logicalNot().logicalAnd(expectedNumbers);
             NDArray count = wrong.countNonzero()) {
            long n = count.getLong();
            if (n == 0) {
                return null;
            }
            try (NDArray max = error.max()) {
                return n + " of " + expected.size() + " values beyond " + ABSOLUTE_TOLERANCE + " + " + RELATIVE_TOLERANCE
                        + " x (|reference| + its mean), largest difference " + max.getFloat();
            }
        }
    }

    private synchronized void provenShape(Proven key) {
        if (!fellBack && proven.add(key) && proven.size() == 1) {
            counters.packed.incrementAndGet();
        }
    }

    /** From now on the layer computes with the reference; logged once. */
    synchronized void fallBack(String why) {
        if (fellBack) {
            return;
        }
        fellBack = true;
        if (!proven.isEmpty()) {
            counters.packed.decrementAndGet();
        }
        counters.fellBack.incrementAndGet();
        LOG.warn("{}; this layer computes with {} from now on (-D{}=false turns packing off everywhere)", why, reference, property);
    }
}
