package org.editstream.recipes;

import org.editstream.rejections.Refusal;

/**
 * What a batched recipe made for one request: its pair, or the refusal that request alone ends with (a batch
 * runs on, so one request's failure must not take the others with it).
 */
public record Made(EditPair pair, Refusal refusal) {
    public Made {
        if ((pair == null) == (refusal == null)) {
            throw new IllegalArgumentException("exactly one of pair and refusal");
        }
    }

    public static Made of(EditPair pair) {
        return new Made(pair, null);
    }

    public static Made failed(Refusal refusal) {
        return new Made(null, refusal);
    }

    /** The pair, or the refusal thrown. */
    public EditPair get() throws Refusal {
        if (refusal != null) {
            throw refusal;
        }
        return pair;
    }
}
