package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.rejections.Rejections;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Reason;
import org.editstream.schema.Stage;

import java.time.Duration;

/**
 * Lets each caption id through once within the TTL (keyed state, in RocksDB in production). A repeated id
 * leaves as a DUPLICATE_CAPTION rejection, so every record in still has a record out.
 */
public class DedupeCaptions extends KeyedProcessFunction<String, CaptionEvent, CaptionEvent> {
    private static final long serialVersionUID = 1L;

    private final Duration ttl;
    private transient ValueState<Long> firstSeen;
    private transient StageMetrics metrics;

    public DedupeCaptions(Duration ttl) {
        this.ttl = ttl;
    }

    @Override
    public void open(OpenContext context) {
        ValueStateDescriptor<Long> descriptor = new ValueStateDescriptor<>("first-seen", Long.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(ttl)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        firstSeen = getRuntimeContext().getState(descriptor);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "dedupe");
    }

    @Override
    public void processElement(CaptionEvent event, Context ctx, Collector<CaptionEvent> out) throws Exception {
        Long seen = firstSeen.value();
        if (seen != null) {
            metrics.rejected(Reason.DUPLICATE_CAPTION);
            ctx.output(Rejected.TAG, Rejections.of(event.getId(), Stage.DEDUPE, Reason.DUPLICATE_CAPTION,
                    "caption id already seen at " + java.time.Instant.ofEpochMilli(seen) + " (dedupe TTL " + ttl + ")",
                    null, 0));
            return;
        }
        firstSeen.update(System.currentTimeMillis());
        metrics.recordOut(null);
        out.collect(event);
    }
}
