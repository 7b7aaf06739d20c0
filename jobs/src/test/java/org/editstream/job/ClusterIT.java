package org.editstream.job;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.editstream.cluster.JobSubmission;
import org.editstream.cluster.LocalCluster;
import org.editstream.instruct.ScriptedChatServer;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.models.EngineLoad;
import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shaded jar on a real Flink cluster: a JobManager and two TaskManagers, each its own OS process on the Flink
 * lib/ Maven resolves (cluster/target/lib), and a broker. The job is submitted over REST with the tiny diffusion
 * fixture as its models, so the generation host and libtorch really load on the TaskManagers. One TaskManager is
 * killed with SIGKILL mid-stream and a new one started; the job recovers from its checkpoint on its own. Then a
 * stop-with-savepoint and a resume at parallelism 4, with captions re-sent that the dedupe state must remember. A
 * read_committed consumer sees every caption id exactly once, the TaskManager that survived loaded libtorch once,
 * and every TaskManager serves the stage metrics deploy/'s Prometheus rules read.
 */
class ClusterIT {
    private static final Path JAR = Path.of("target", "editstream.jar");
    private static final Path LIB = Path.of("..", "cluster", "target", "lib");
    private static final Path RULES = Path.of("..", "deploy", "prometheus.yaml");
    private static final int FIRST = 400;
    private static final int DURING_RECOVERY = 200;
    private static final int AFTER_RESCALE = 200;
    private static final int RESENT = 20;

    @Test
    void theJarOnAClusterSurvivesALostTaskManagerAndARescaleExactlyOnce(@TempDir Path work) throws Exception {
        assertThat(JAR).as("the packaged jar (ClusterIT runs after mvn package)").isRegularFile();
        assertThat(LIB).as("the cluster's lib/ (the cluster module's package)").isDirectory();
        Path models = Files.createDirectories(work.resolve("models"));
        Files.createSymbolicLink(models.resolve("diffusion"),
                org.editstream.models.Fixtures.path("sd-tiny").toAbsolutePath()); // skipped when absent, a failure in CI
        Path home = Path.of("target", "cluster-it"); // kept under target/ for a look at the logs after a failure
        deleteRecursively(home);

        String good = "{\"instruction\": \"Make the scene snowy\", \"output_caption\": \"%s in the snow\"}";
        try (ScriptedChatServer llm = new ScriptedChatServer(r -> ScriptedChatServer.reply(good.formatted(r.lastUserContent())));
             EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null);
             LocalCluster cluster = LocalCluster.start(new LocalCluster.Settings(home, LIB, 0, 2, "2g", Map.of()), 2);
             JobSubmission submission = new JobSubmission(cluster.restAddress())) {
            JobConfig config = JobConfig.builder(kafka.bootstrapServers()).captionsTopic("cl-captions")
                    .samplesTopic("cl-samples").rejectionsTopic("cl-rejections").groupId("cl").transactionalIdPrefix("cl")
                    .taskMix(TaskMix.parse("color=6,sketch=2,global=1")).build();
            KafkaTopics.ensure(config, 4, (short) 1);
            List<String> arguments = new ArrayList<>(List.of("run", "--bootstrap-servers", kafka.bootstrapServers(),
                    "--captions-topic", config.captionsTopic(), "--samples-topic", config.samplesTopic(),
                    "--rejections-topic", config.rejectionsTopic(), "--group-id", "cl", "--transactional-id-prefix", "cl",
                    "--task-mix", "color=6,sketch=2,global=1", "--checkpoint-interval", "PT1S",
                    "--checkpoint-dir", work.resolve("checkpoints").toUri().toString(),
                    "--models", models.toString(), "--diffusion-steps", "2", "--min-pixel-change", "global=0",
                    "--llm-url", llm.baseUrl(), "--template-tasks", "color,sketch"));

            produce(config, 0, FIRST);
            String jar = submission.upload(JAR);
            JobID job = submission.run(jar, withParallelism(arguments, 2), null);
            Outputs out = new Outputs(config);
            try (out) {
                out.await(FIRST / 4, Duration.ofMinutes(4), "before the kill");
                LocalCluster.TaskManager lost = cluster.taskManagers().get(0);
                LocalCluster.TaskManager survivor = cluster.taskManagers().get(1);
                lost.kill();
                produce(config, FIRST, DURING_RECOVERY);
                cluster.startTaskManager();
                cluster.awaitTaskManagers(2);
                out.await(FIRST + DURING_RECOVERY / 2, Duration.ofMinutes(4), "after the kill");
                String jobManagerLog = Files.readString(cluster.logs().resolve("jobmanager.log"));
                assertThat(jobManagerLog).as("the job failed over when its TaskManager was lost")
                        .contains("switched from state RUNNING to RESTARTING");
                assertThat(Pattern.compile("Restoring job " + job + " from Checkpoint").matcher(jobManagerLog).find())
                        .as("it resumed from its checkpoint").isTrue();

                String savepoint = submission.stopWithSavepoint(job, work.resolve("savepoints").toUri().toString());
                produce(config, FIRST + DURING_RECOVERY, AFTER_RESCALE);
                produce(config, 0, RESENT); // ids done before the savepoint: the restored dedupe state must know them
                JobID rescaled = submission.run(jar, withParallelism(arguments, 4), savepoint);
                int total = FIRST + DURING_RECOVERY + AFTER_RESCALE;
                out.await(total + RESENT, Duration.ofMinutes(4), "after the rescale");
                out.quiet(6); // a few more checkpoints with nothing new: duplicates would show up here
                assertThat(submission.cluster().getJobStatus(rescaled).get(30, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
                assertThat(submission.cluster().getJobDetails(rescaled).get(30, TimeUnit.SECONDS).getJobVertexInfos())
                        .allSatisfy(v -> assertThat(v.getParallelism()).isEqualTo(4));

                // exactly once: each id once, plus the one DUPLICATE_CAPTION rejection of each re-sent id
                Map<String, Integer> firstOutcomes = new HashMap<>(out.outcomes);
                assertThat(firstOutcomes).hasSize(total);
                assertThat(firstOutcomes.values()).as("ids that left more than once").allMatch(n -> n == 1);
                Set<String> resent = new TreeSet<>();
                for (int i = 0; i < RESENT; i++) {
                    resent.add("cl-" + i);
                }
                assertThat(out.duplicates).as("DUPLICATE_CAPTION rejections, each once").hasSize(RESENT)
                        .containsOnlyKeys(resent).allSatisfy((id, n) -> assertThat(n).isEqualTo(1));

                // the surviving TaskManager ran the job before the loss and after it, and loaded libtorch once
                String survivorLog = Files.readString(survivor.log());
                assertThat(count(survivorLog, EngineLoad.LOADED)).as("libtorch loads in %s", survivor.id()).isEqualTo(1);
                assertThat(survivorLog).doesNotContain("loads it again");
                assertThat(count(survivorLog, "Received task Source: captions")).as("tasks deployed on %s", survivor.id())
                        .isGreaterThanOrEqualTo(2);
                // the first job's models were closed when its classloader went, after the stop with a savepoint
                assertThat(survivorLog).contains("Released the models of a classloader that has gone");
                System.out.println("ClusterIT: " + total + " captions and " + RESENT + " re-sent, a TaskManager lost, "
                        + "resumed at parallelism 4 from " + savepoint);

                // every live TaskManager serves the stage metrics, under the names deploy/'s rules read
                Set<String> wanted = metricNames(Files.readString(RULES));
                assertThat(wanted).as("metric names in %s", RULES).isNotEmpty();
                for (LocalCluster.TaskManager tm : cluster.taskManagers().subList(1, cluster.taskManagers().size())) {
                    String scrape = scrape(tm.metrics());
                    for (String name : wanted) {
                        assertThat(scrape).as("%s's scrape has %s", tm.id(), name).contains(name + "{");
                    }
                    assertThat(scrape).containsPattern("_generate_queueDepth\\{")
                            .containsPattern("_instruct_llmInFlight\\{")
                            .containsPattern("_assign_task_recordsOut\\{[^}]*task=\"color\"")
                            .containsPattern("_dedupe_reason_rejections\\{[^}]*reason=\"DUPLICATE_CAPTION\"");
                }
                submission.cluster().cancel(rescaled).get(1, TimeUnit.MINUTES);
            }
        }
    }

    /** The job's arguments at this parallelism. */
    private static List<String> withParallelism(List<String> arguments, int parallelism) {
        List<String> a = new ArrayList<>(arguments);
        a.addAll(List.of("--parallelism", Integer.toString(parallelism)));
        return a;
    }

    /** Captions cl-{from} .. cl-{from + n - 1}, each with a small image. */
    private static void produce(JobConfig config, int from, int n) throws Exception {
        try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                config.maxRecordBytes(), Map.of())) {
            for (int i = from; i < from + n; i++) {
                byte[] png = TestImages.png(TestImages.scene(48, 32, i));
                producer.send(org.editstream.schema.CaptionEvent.newBuilder().setId("cl-" + i)
                        .setCaption("a test scene number " + i)
                        .setImage(org.editstream.schema.ImageRef.newBuilder().setData(ByteBuffer.wrap(png)).build()).build());
            }
            producer.flush();
        }
    }

    /** The samples and rejections topics, read_committed: each id's outcomes, duplicates of re-sent ids apart. */
    private static final class Outputs implements AutoCloseable {
        final Map<String, Integer> outcomes = new HashMap<>();
        final Map<String, Integer> duplicates = new HashMap<>();
        private final OutputConsumer consumer;

        Outputs(JobConfig config) {
            consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(), config.rejectionsTopic(),
                    config.maxRecordBytes(), Map.of());
        }

        int poll() {
            return consumer.poll(Duration.ofMillis(500), s -> outcomes.merge(s.getCaptionId(), 1, Integer::sum),
                    (Rejection r) -> (r.getReason() == Reason.DUPLICATE_CAPTION ? duplicates : outcomes)
                            .merge(r.getCaptionId(), 1, Integer::sum));
        }

        void await(int ids, Duration timeout, String when) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (outcomes.size() + duplicates.size() < ids && System.nanoTime() < deadline) {
                poll();
            }
            assertThat(outcomes.size() + duplicates.size()).as("outcomes seen %s", when).isGreaterThanOrEqualTo(ids);
        }

        void quiet(int polls) {
            int quiet = 0;
            while (quiet < polls) {
                quiet = poll() == 0 ? quiet + 1 : 0;
            }
        }

        @Override
        public void close() {
            consumer.close();
        }
    }

    /** The Flink metric names (flink_...) that deploy/'s Prometheus rules use. */
    static Set<String> metricNames(String rules) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\bflink_[A-Za-z0-9_]+").matcher(rules);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    private static String scrape(URI endpoint) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(endpoint).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void deleteRecursively(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
