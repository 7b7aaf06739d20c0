package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;

/**
 * A restart drill for operators: fails the job once, in its first attempt, after this subtask has passed
 * the given number of records, so that recovery from the last checkpoint can be watched (and tested) for
 * real. Inserted only when configured; restarted attempts pass everything.
 */
public class RestartDrill<T> extends RichMapFunction<T, T> {
    private static final long serialVersionUID = 1L;

    private final long failAfter;
    private transient long seen;
    private transient boolean armed;

    public RestartDrill(long failAfter) {
        this.failAfter = failAfter;
    }

    @Override
    public void open(OpenContext context) {
        armed = getRuntimeContext().getTaskInfo().getAttemptNumber() == 0;
        seen = 0;
    }

    @Override
    public T map(T value) {
        if (armed && ++seen > failAfter) {
            throw new IllegalStateException("restart drill: failing once after " + failAfter + " records");
        }
        return value;
    }
}
