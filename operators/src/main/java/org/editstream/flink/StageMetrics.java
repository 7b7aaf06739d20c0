package org.editstream.flink;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
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
 * Asynchronous stages update them from client and device threads, so every method is synchronized.
 */
public final class StageMetrics {
    private static final int HISTOGRAM_WINDOW = 1000;

    private final MetricGroup group;
    private final Map<Task, Counter> outPerTask = new EnumMap<>(Task.class);
    private final Map<Reason, Counter> rejectionsPerReason = new EnumMap<>(Reason.class);
    private final Map<String, Counter> named = new HashMap<>();
    private final Map<String, Histogram> histograms = new HashMap<>();
    private Counter out;

    public StageMetrics(MetricGroup operatorGroup, String stage) {
        this.group = operatorGroup.addGroup(stage);
    }

    public synchronized void recordOut(Task task) {
        if (out == null) {
            out = group.counter("recordsOut", new ThreadSafeSimpleCounter());
        }
        out.inc();
        if (task != null) {
            outPerTask.computeIfAbsent(task, t -> taskGroup(t).counter("recordsOut", new ThreadSafeSimpleCounter())).inc();
        }
    }

    public synchronized void rejected(Reason reason) {
        rejectionsPerReason.computeIfAbsent(reason, r -> group.addGroup("reason", r.name())
                .counter("rejections", new ThreadSafeSimpleCounter())).inc();
    }

    /** A counter of this stage under a sub-group, e.g. ("filter", "FILTER_PIXEL_L1", "passed"). */
    public synchronized void count(String key, String value, String counter) {
        count(key, value, counter, 1);
    }

    public synchronized void count(String key, String value, String counter, long n) {
        named.computeIfAbsent(key + "/" + value + "/" + counter,
                k -> group.addGroup(key, value).counter(counter, new ThreadSafeSimpleCounter())).inc(n);
    }

    public synchronized void secondsPerRecord(long nanos) {
        // the histogram holds longs: record microseconds, reported as a per-sample time in the dashboard
        histogram(null, "secondsPerSample").update(nanos / 1000);
    }

    /** A per-task latency histogram in milliseconds, e.g. the LLM's reply time. */
    public synchronized void latencyMillis(Task task, String name, long nanos) {
        histogram(task, name).update(nanos / 1_000_000);
    }

    public MetricGroup group() {
        return group;
    }

    private Histogram histogram(Task task, String name) {
        String key = (task == null ? "" : task.name()) + "/" + name;
        return histograms.computeIfAbsent(key, k -> (task == null ? group : taskGroup(task))
                .histogram(name, new DescriptiveStatisticsHistogram(HISTOGRAM_WINDOW)));
    }

    private MetricGroup taskGroup(Task task) {
        return group.addGroup("task", TaskCatalogue.nameOf(task));
    }
}
