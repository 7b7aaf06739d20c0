package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * Linear layers {@code layers.0 ... layers.(n-1)} with a ReLU between each and none after the last: the prediction
 * head of DETR-style models (SAM's hypernetworks and IoU head, Grounding DINO's box and reference-point heads).
 */
public final class Mlp {
    private final List<Linear> layers = new ArrayList<>();

    /** @param depth the number of linear layers: {@code in -> hidden -> ... -> out} */
    public Mlp(Parameters p, long in, long hidden, long out, int depth) {
        for (int i = 0; i < depth; i++) {
            layers.add(new Linear(p.child("layers").child(Integer.toString(i)), i == 0 ? in : hidden,
                    i == depth - 1 ? out : hidden, true));
        }
    }

    public NDArray forward(NDArray x) {
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(x);
            if (i < layers.size() - 1) {
                x = x.getNDArrayInternal().relu();
            }
        }
        return x;
    }
}
