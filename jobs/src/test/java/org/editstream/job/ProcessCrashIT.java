package org.editstream.job;

import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.ImageRef;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job as an operator runs it: its own OS process (the command line's main in a forked JVM) against a broker
 * that outlives it, killed with SIGKILL at three random points and started again with the same command each time.
 * A read_committed consumer must see every caption id exactly once.
 */
class ProcessCrashIT {
    private static final int CAPTIONS = 2000;
    private static final int KILLS = 3;
    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() throws Exception {
        kafka = EmbeddedKafka.start(16 * 1024 * 1024, null);
    }

    @AfterAll
    static void stopKafka() throws Exception {
        kafka.close();
    }

    @Test
    void everyCaptionComesOutExactlyOnceAcrossKilledProcesses(@TempDir Path work) throws Exception {
        JobConfig config = produce("crash", CAPTIONS);
        List<String> command = command(config, work, 2);

        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<Integer> killAt = new ArrayList<>();
        for (int i = 0; i < KILLS; i++) {
            // ids seen before each kill, spread over the run: 10 - 30%, 35 - 55%, 60 - 80%
            killAt.add((int) (CAPTIONS * (0.10 + 0.25 * i + 0.20 * random.nextDouble())));
        }
        System.out.println("ProcessCrashIT: seed " + seed + ", kills after " + killAt + " ids");

        Map<String, Integer> seen = new HashMap<>();
        List<String> logs = new ArrayList<>();
        try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                config.rejectionsTopic(), config.maxRecordBytes(), Map.of())) {
            for (int run = 0; run <= KILLS; run++) {
                // kept under target/ for a look after a failure
                Path log = Files.createDirectories(Path.of("target", "process-crash")).resolve("run-" + run + ".log");
                Process job = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
                try {
                    if (run < KILLS) {
                        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                        while (seen.size() < killAt.get(run) && job.isAlive() && System.nanoTime() < deadline) {
                            poll(consumer, seen);
                        }
                        assertThat(job.isAlive()).as("run %d still running at its kill point (%s)", run, tail(log)).isTrue();
                        assertThat(seen.size()).as("ids seen before kill %d", run).isGreaterThanOrEqualTo(killAt.get(run));
                        job.destroyForcibly(); // SIGKILL: no shutdown hook, no final checkpoint
                        assertThat(job.waitFor(30, TimeUnit.SECONDS)).isTrue();
                    } else {
                        // the last run streams on, as a deployed job does, until every id has come out and a
                        // few more checkpoints have passed with nothing new (duplicates would show up there)
                        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
                        int quiet = 0;
                        while ((seen.size() < CAPTIONS || quiet < 6) && job.isAlive() && System.nanoTime() < deadline) {
                            quiet = poll(consumer, seen) == 0 ? quiet + 1 : 0;
                        }
                        assertThat(job.isAlive()).as("the last run still streaming (%s)", tail(log)).isTrue();
                    }
                } finally {
                    job.destroyForcibly();
                }
                logs.add(Files.readString(log));
            }
        }

        long duplicates = seen.values().stream().filter(n -> n > 1).count();
        long gaps = CAPTIONS - seen.size();
        System.out.println("ProcessCrashIT: " + KILLS + " kills, " + CAPTIONS + " captions, " + duplicates
                + " ids seen more than once, " + gaps + " never seen");
        for (int run = 1; run <= KILLS; run++) {
            assertThat(logs.get(run)).as("run %d resumed", run).contains("Resuming from the latest completed checkpoint");
        }
        assertThat(gaps).as("caption ids never seen").isZero();
        assertThat(duplicates).as("caption ids seen more than once").isZero();
    }

    @Test
    void aStopWithASavepointResumesFromItExactly(@TempDir Path work) throws Exception {
        int captions = 400;
        JobConfig config = produce("upgrade", captions);
        List<String> first = new ArrayList<>(command(config, work, 2));
        first.addAll(List.of("--savepoint-dir", work.resolve("savepoints").toUri().toString()));
        Map<String, Integer> seen = new HashMap<>();
        try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                config.rejectionsTopic(), config.maxRecordBytes(), Map.of())) {
            Path log = Files.createDirectories(Path.of("target", "process-crash")).resolve("upgrade-0.log");
            Process job = new ProcessBuilder(first).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (seen.size() < captions / 4 && job.isAlive() && System.nanoTime() < deadline) {
                    poll(consumer, seen);
                }
                job.destroy(); // SIGTERM: the shutdown hook stops the job with a savepoint
                assertThat(job.waitFor(3, TimeUnit.MINUTES)).as("stopped (%s)", tail(log)).isTrue();
            } finally {
                job.destroyForcibly();
            }
            String stopped = Files.readAllLines(log).stream().filter(l -> l.startsWith("Stopped with savepoint ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no savepoint line in:\n" + tail(log)));
            String savepoint = stopped.substring("Stopped with savepoint ".length(), stopped.indexOf(" (resume"));

            // an upgrade that also rescales: the dedupe state and the sinks' transactions move to three subtasks
            List<String> resumed = new ArrayList<>(command(config, work, 3));
            resumed.addAll(List.of("--from-savepoint", savepoint));
            Path log2 = Path.of("target", "process-crash", "upgrade-1.log");
            Process again = new ProcessBuilder(resumed).redirectErrorStream(true).redirectOutput(log2.toFile()).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                int quiet = 0;
                while ((seen.size() < captions || quiet < 6) && again.isAlive() && System.nanoTime() < deadline) {
                    quiet = poll(consumer, seen) == 0 ? quiet + 1 : 0;
                }
                assertThat(Files.readString(log2)).contains("Resuming from savepoint " + savepoint);
            } finally {
                again.destroyForcibly();
            }
        }
        assertThat(captions - seen.size()).as("caption ids never seen").isZero();
        assertThat(seen.values().stream().filter(n -> n > 1).count()).as("caption ids seen more than once").isZero();
    }

    /** {@code n} captions with small images on the topics of {@code name}, 2 partitions. */
    private static JobConfig produce(String name, int n) throws Exception {
        JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                .captionsTopic(name + "-captions").samplesTopic(name + "-samples").rejectionsTopic(name + "-rejections")
                .groupId(name).transactionalIdPrefix(name).taskMix(TaskMix.parse("color=3,sketch=1")).build();
        KafkaTopics.ensure(config, 2, (short) 1);
        try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                config.maxRecordBytes(), Map.of())) {
            for (int i = 0; i < n; i++) {
                byte[] png = TestImages.png(TestImages.scene(48, 32, i));
                producer.send(CaptionEvent.newBuilder().setId(name + "-" + i).setCaption("a test scene number " + i)
                        .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(png)).build()).build());
            }
            producer.flush();
        }
        return config;
    }

    /** The operator's command: the command line's main in its own JVM, the same every time it is started. */
    private static List<String> command(JobConfig config, Path work, int parallelism) {
        return List.of(javaBinary(), "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "org.editstream.cli.EditStreamCommand", "run", "--bootstrap-servers", kafka.bootstrapServers(),
                "--captions-topic", config.captionsTopic(), "--samples-topic", config.samplesTopic(),
                "--rejections-topic", config.rejectionsTopic(), "--group-id", config.groupId(),
                "--transactional-id-prefix", config.transactionalIdPrefix(), "--task-mix", "color=3,sketch=1",
                "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", "PT1S",
                "--checkpoint-dir", work.resolve("checkpoints").toUri().toString());
    }

    private static int poll(OutputConsumer consumer, Map<String, Integer> seen) {
        return consumer.poll(Duration.ofMillis(500), s -> seen.merge(s.getCaptionId(), 1, Integer::sum),
                r -> seen.merge(r.getCaptionId(), 1, Integer::sum));
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java" + (File.separatorChar == '\\' ? ".exe" : "")).toString();
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (Exception e) {
            return "no log: " + e.getMessage();
        }
    }
}
