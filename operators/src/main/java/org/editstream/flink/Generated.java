package org.editstream.flink;

import org.editstream.schema.EditSample;
import org.editstream.schema.Rejection;

/** What the asynchronous generation stage yields for one request: a sample, or a rejection. */
public class Generated {
    public EditSample sample;
    public Rejection rejection;

    public Generated() {
    }

    static Generated of(EditSample sample) {
        Generated g = new Generated();
        g.sample = sample;
        return g;
    }

    static Generated of(Rejection rejection) {
        Generated g = new Generated();
        g.rejection = rejection;
        return g;
    }
}
