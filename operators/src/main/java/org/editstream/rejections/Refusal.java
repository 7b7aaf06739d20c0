package org.editstream.rejections;

import org.editstream.schema.Reason;

/**
 * Thrown by pipeline logic when a record cannot go on: carries the reason code and the detail a person
 * needs to act. The Flink function that catches it knows the stage and turns it into a {@code Rejection}.
 */
public class Refusal extends Exception {
    private final Reason reason;

    public Refusal(Reason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public Refusal(Reason reason, String detail, Throwable cause) {
        super(detail, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    public String detail() {
        return getMessage();
    }
}
