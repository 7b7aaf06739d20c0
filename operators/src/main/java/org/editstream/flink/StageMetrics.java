package org.editstream.flink;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.editstream.tasks.TaskCatalogue;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The metrics of one stage, under a group named after it (visible on the Flink dashboard and in the
 * Prometheus reporter): records out per task, rejections per reason, filter outcomes, seconds per record.
 */
public final class StageMetrics {
    private final MetricGroup group;
    private final Map<Task, Counter> outPerTask = new EnumMap<>(Task.class);
    private final Map<Reason, Counter> rejectionsPerReason = new EnumMap<>(Reason.class);
    private final Map<String, Counter> named = new HashMap<>();
    private Counter out;
    private Histogram seconds;

    public StageMetrics(MetricGroup operatorGroup, String stage) {
        this.group = operatorGroup.addGroup(stage);
    }

    public void recordOut(Task task) {
        if (out == null) {
            out = group.counter("recordsOut");
        }
        out.inc();
        if (task != null) {
            outPerTask.computeIfAbsent(task, t -> group.addGroup("task", TaskCatalogue.nameOf(t)).counter("recordsOut")).inc();
        }
    }

    public void rejected(Reason reason) {
        rejectionsPerReason.computeIfAbsent(reason, r -> group.addGroup("reason", r.name()).counter("rejections")).inc();
    }

    /** A counter of this stage under a sub-group, e.g. ("filter", "FILTER_PIXEL_L1", "passed"). */
    public void count(String key, String value, String counter) {
        named.computeIfAbsent(key + "/" + value + "/" + counter, k -> group.addGroup(key, value).counter(counter)).inc();
    }

    public void secondsPerRecord(long nanos) {
        if (seconds == null) {
            seconds = group.histogram("secondsPerSample", new DescriptiveStatisticsHistogram(1000));
        }
        // the histogram holds longs: record microseconds, reported as a per-sample time in the dashboard
        seconds.update(nanos / 1000);
    }

    public MetricGroup group() {
        return group;
    }
}
