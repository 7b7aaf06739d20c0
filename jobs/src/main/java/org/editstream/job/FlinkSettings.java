package org.editstream.job;

import org.apache.flink.configuration.Configuration;

import java.util.HashMap;
import java.util.Map;

/** The Flink configuration the job needs: checkpoints, RocksDB, restarts. */
public final class FlinkSettings {
    private FlinkSettings() {
    }

    public static Configuration of(JobConfig config) {
        Map<String, String> c = new HashMap<>();
        c.put("execution.checkpointing.interval", config.checkpointInterval().toMillis() + " ms");
        c.put("execution.checkpointing.mode", "EXACTLY_ONCE");
        // slow generation back-pressures the job; unaligned checkpoints do not wait for queues to drain
        c.put("execution.checkpointing.unaligned.enabled", "true");
        c.put("execution.checkpointing.timeout", checkpointTimeout(config).toMinutes() + " min");
        // a checkpoint that expires behind slow generation or a slow LLM is retried at the next interval; the job
        // fails over only after this many in a row (a failover would repeat every request in flight)
        c.put("execution.checkpointing.tolerable-failed-checkpoints", "10");
        // kept when the job is cancelled and when its process dies: a restart with the same command resumes from
        // the newest (Recovery), the one before it stays in case the newest was cut short
        c.put("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        c.put("execution.checkpointing.num-retained", "2");
        c.put("state.backend.type", "rocksdb");
        c.put("execution.checkpointing.incremental", "true");
        if (config.checkpointDirectory() != null) {
            c.put("execution.checkpointing.dir", config.checkpointDirectory());
        }
        c.put("restart-strategy.type", "exponential-delay");
        c.put("restart-strategy.exponential-delay.initial-backoff", "500 ms");
        c.put("restart-strategy.exponential-delay.max-backoff", "30 s");
        c.put("parallelism.default", Integer.toString(config.parallelism()));
        c.put("pipeline.name", "editstream");
        return Configuration.fromMap(c);
    }

    /**
     * As long as the slowest in-flight work may take: a request queued in an async operator completes or times out
     * within its operator's timeout, and a checkpoint at the end of a bounded input waits for those queues to drain.
     */
    public static java.time.Duration checkpointTimeout(JobConfig config) {
        java.time.Duration longest = EditStreamJob.instructionTimeout(config.instructions());
        if (config.tools().diffusionFolder() != null) {
            longest = max(longest, java.time.Duration.ofMinutes(EditStreamJob.GENERATION_TIMEOUT_MINUTES));
        }
        longest = max(longest, java.time.Duration.ofMinutes(EditStreamJob.SCORING_TIMEOUT_MINUTES));
        return longest.plusMinutes(5);
    }

    private static java.time.Duration max(java.time.Duration a, java.time.Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
