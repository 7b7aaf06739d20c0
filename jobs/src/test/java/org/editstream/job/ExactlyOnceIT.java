package org.editstream.job;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Rejection;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** N captions in, a read_committed consumer sees every caption id exactly once, as a sample or a rejection. */
class ExactlyOnceIT {
    private static EmbeddedKafka kafka;
    /** Samples (not rejections) the last run produced: the pipeline must make pairs, not only refuse. */
    private int samples;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(16 * 1024 * 1024, null);
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void everyCaptionLeavesExactlyOnce(@TempDir Path checkpoints) throws Exception {
        Map<String, Integer> seen = runJob("plain", 40, 0, checkpoints);
        assertThat(seen).hasSize(40);
        assertThat(seen.values()).allMatch(count -> count == 1);
        assertThat(samples).isGreaterThan(20);
    }

    @Test
    void everyCaptionLeavesExactlyOnceAcrossARestart(@TempDir Path checkpoints) throws Exception {
        Map<String, Integer> seen = runJob("drill", 40, 8, checkpoints);
        assertThat(seen).hasSize(40);
        assertThat(seen.values()).allMatch(count -> count == 1);
        assertThat(samples).isGreaterThan(20);
    }

    private Map<String, Integer> runJob(String name, int captions, long failAfter, Path checkpoints) throws Exception {
        JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                .captionsTopic(name + "-captions").samplesTopic(name + "-samples").rejectionsTopic(name + "-rejections")
                .groupId(name).transactionalIdPrefix(name).bounded(true).parallelism(2)
                .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                .taskMix(TaskMix.parse("color=3,sketch=1")).restartDrillAfter(failAfter)
                .build();
        KafkaTopics.ensure(config, 2, (short) 1);
        try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                config.maxRecordBytes(), Map.of())) {
            for (int i = 0; i < captions; i++) {
                byte[] png = TestImages.png(TestImages.scene(96, 64, i));
                producer.send(CaptionEvent.newBuilder().setId(name + "-" + i).setCaption("a test scene number " + i)
                        .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(png)).build()).build());
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
        EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
        JobClient job = env.executeAsync("editstream-" + name);
        job.getJobExecutionResult().get(5, TimeUnit.MINUTES);

        samples = 0;
        Map<String, Integer> seen = new HashMap<>();
        List<Rejection> rejections = new ArrayList<>();
        try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                config.rejectionsTopic(), config.maxRecordBytes(), Map.of())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            int quietPolls = 0;
            while (System.nanoTime() < deadline && (seen.size() < captions || quietPolls < 3)) {
                int n = consumer.poll(Duration.ofMillis(500),
                        (EditSample s) -> {
                            samples++;
                            seen.merge(s.getCaptionId(), 1, Integer::sum);
                        },
                        (Rejection r) -> {
                            rejections.add(r);
                            seen.merge(r.getCaptionId(), 1, Integer::sum);
                        });
                quietPolls = n == 0 ? quietPolls + 1 : 0;
            }
        }
        return seen;
    }
}
