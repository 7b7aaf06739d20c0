package org.editstream.rejections;

import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;

import java.time.Instant;

/** Builds {@link Rejection} records, so every stage fills them the same way. */
public final class Rejections {
    /** Details are for people; a runaway exception message must not blow up the rejection record. */
    public static final int MAX_DETAIL_CHARS = 2000;

    private Rejections() {
    }

    public static Rejection of(String captionId, Stage stage, Reason reason, String detail, Task task, int attempt) {
        String text = detail == null ? "" : detail;
        if (text.length() > MAX_DETAIL_CHARS) {
            text = text.substring(0, MAX_DETAIL_CHARS) + "...";
        }
        return Rejection.newBuilder()
                .setCaptionId(captionId == null ? "" : captionId)
                .setStage(stage)
                .setReason(reason)
                .setDetail(text)
                .setTask(task)
                .setAttempt(attempt)
                .setCreatedAt(Instant.now())
                .build();
    }

    public static Rejection of(String captionId, Stage stage, Refusal refusal, Task task, int attempt) {
        return of(captionId, stage, refusal.reason(), refusal.detail(), task, attempt);
    }
}
