package org.editstream.flink;

import org.editstream.schema.Rejection;

/**
 * What an asynchronous stage yields for one record: the value it made, or a rejection. Async functions
 * complete with one of these (they have no side output); {@link SplitOutcomes} routes them.
 */
public class Outcome<T> {
    public T value;
    public Rejection rejection;

    public Outcome() {
    }

    public static <T> Outcome<T> of(T value) {
        Outcome<T> o = new Outcome<>();
        o.value = value;
        return o;
    }

    public static <T> Outcome<T> rejected(Rejection rejection) {
        Outcome<T> o = new Outcome<>();
        o.rejection = rejection;
        return o;
    }
}
