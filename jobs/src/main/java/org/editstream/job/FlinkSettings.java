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
        c.put("execution.checkpointing.timeout", "5 min");
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
}
