package org.editstream.job;

import org.editstream.kafka.OutputConsumer;
import org.editstream.schema.EditSample;
import org.editstream.schema.Rejection;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What a finished job left on its samples and rejections topics, read with {@code read_committed}: how often each
 * caption id left, and the last sample or rejection of each.
 */
record JobOutputs(Map<String, Integer> timesSeen, Map<String, EditSample> samples, Map<String, Rejection> rejections) {
    /** Reads until {@code expected} distinct caption ids have left, or 30 s pass. */
    static JobOutputs read(JobConfig config, int expected) {
        Map<String, Integer> seen = new HashMap<>();
        Map<String, EditSample> samples = new HashMap<>();
        Map<String, Rejection> rejections = new HashMap<>();
        try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                config.rejectionsTopic(), config.maxRecordBytes(), Map.of())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && seen.size() < expected) {
                consumer.poll(Duration.ofMillis(500), (EditSample s) -> {
                    seen.merge(s.getCaptionId(), 1, Integer::sum);
                    samples.put(s.getCaptionId(), s);
                }, (Rejection r) -> {
                    seen.merge(r.getCaptionId(), 1, Integer::sum);
                    rejections.put(r.getCaptionId(), r);
                });
            }
        }
        return new JobOutputs(seen, samples, rejections);
    }
}
