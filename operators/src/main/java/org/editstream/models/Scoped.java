package org.editstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.function.Function;

/**
 * Runs a computation in its own short-lived {@link NDManager}: the inputs are attached to it for the duration,
 * every intermediate array it creates is freed when it ends, and only the result is handed back to the first
 * input's manager. Model code computes with the activations on the left of every operation, so intermediates
 * land in the scope and never in the long-lived manager that holds the weights.
 */
public final class Scoped {
    private Scoped() {
    }

    public static NDArray apply(Function<NDArray[], NDArray> body, NDArray... inputs) {
        NDManager owner = inputs[0].getManager();
        try (NDManager scope = owner.newSubManager()) {
            java.util.Set<NDArray> attached = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            for (NDArray input : inputs) {
                if (attached.add(input)) { // attaching one array twice would hand it back to the scope itself
                    input.tempAttach(scope);
                }
            }
            NDArray result = body.apply(inputs);
            result.attach(owner);
            return result;
        }
    }
}
