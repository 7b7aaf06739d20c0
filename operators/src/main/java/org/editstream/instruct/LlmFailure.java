package org.editstream.instruct;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

/** A chat request that failed for good (after its retries): the reason code says how. */
public final class LlmFailure extends Refusal {
    public LlmFailure(Reason reason, String detail) {
        super(reason, detail);
    }

    public LlmFailure(Reason reason, String detail, Throwable cause) {
        super(reason, detail, cause);
    }
}
