package org.editstream.flink;

import org.apache.flink.util.OutputTag;
import org.editstream.schema.Rejection;

/** The side output every stage sends its rejections to; the job unions them into the rejections sink. */
public final class Rejected {
    public static final OutputTag<Rejection> TAG = new OutputTag<>("rejections") {
    };

    private Rejected() {
    }
}
