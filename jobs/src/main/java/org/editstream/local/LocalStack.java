package org.editstream.local;

import me.tongfei.progressbar.ProgressBar;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.job.EditStreamJob;
import org.editstream.job.FlinkSettings;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.schema.CaptionEvent;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskCatalogue;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The embedded default: a real Kafka broker (KRaft) and a Flink MiniCluster with its dashboard in this JVM,
 * the job, a producer of captions, and a read_committed consumer that fills the gallery.
 */
public final class LocalStack {
    private final PrintWriter out;

    public LocalStack(PrintWriter out) {
        this.out = out;
    }

    /**
     * @param config   the job's configuration (the bootstrap servers are replaced by the embedded broker's)
     * @param captions the captions to send
     * @param follow   keep running for new captions until interrupted, instead of stopping when these are done
     * @param webPort  dashboard port (0: a free one)
     */
    public int run(JobConfig config, List<CaptionEvent> captions, boolean follow, Path galleryFolder, int webPort)
            throws Exception {
        int maxMessage = config.maxRecordBytes() + KafkaTopics.FRAMING_BYTES;
        out.println("Starting Kafka (KRaft, in-process)...");
        out.flush();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(maxMessage, null)) {
            JobConfig local = config.toBuilder().bootstrapServers(kafka.bootstrapServers()).bounded(!follow).build();
            KafkaTopics.ensure(local, local.parallelism(), (short) 1);
            out.println("Kafka at " + kafka.bootstrapServers() + "; topics " + local.captionsTopic() + ", "
                    + local.samplesTopic() + ", " + local.rejectionsTopic());

            EnabledTasks enabled = EditStreamJob.enabledTasks(local);
            printTasks(local, enabled);

            try (CaptionProducer producer = new CaptionProducer(local.bootstrapServers(), local.captionsTopic(),
                    maxMessage, local.kafkaProperties(), local.schemaRegistry())) {
                captions.forEach(producer::send);
                producer.flush();
            }
            out.println("Sent " + captions.size() + " captions.");

            int port = webPort > 0 ? webPort : freePort();
            Configuration flink = FlinkSettings.of(local);
            flink.setString("rest.port", Integer.toString(port));
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(local.parallelism());
            EditStreamJob.build(env, local, enabled);
            JobClient job = env.executeAsync("editstream");
            out.println("Flink dashboard: http://localhost:" + port + "  (job " + job.getJobID() + ")");
            out.flush();

            Gallery gallery = new Gallery(galleryFolder);
            Set<String> done = new HashSet<>();
            Set<String> expected = new HashSet<>();
            captions.forEach(c -> expected.add(c.getId()));
            long started = System.nanoTime();
            CountDownLatch wrapUp = new CountDownLatch(1);
            Thread stopper = follow ? interruptOnShutdown(Thread.currentThread(), wrapUp) : null;
            try {
                try (OutputConsumer consumer = new OutputConsumer(local.bootstrapServers(), local.samplesTopic(),
                        local.rejectionsTopic(), maxMessage, local.kafkaProperties(), local.schemaRegistry());
                     ProgressBar bar = ConsoleProgress.bar("samples", follow ? -1 : expected.size())) {
                    int[] counts = new int[2];
                    while (!Thread.currentThread().isInterrupted()) {
                        try {
                            consumer.poll(Duration.ofMillis(300), sample -> {
                                try {
                                    gallery.add(sample);
                                } catch (IOException e) {
                                    throw new java.io.UncheckedIOException(e);
                                }
                                counts[0]++;
                                done.add(sample.getCaptionId());
                            }, rejection -> {
                                gallery.add(rejection);
                                counts[1]++;
                                done.add(rejection.getCaptionId());
                            });
                        } catch (org.apache.kafka.common.errors.InterruptException stop) {
                            break; // Ctrl-C in --follow: write what arrived
                        }
                        double seconds = (System.nanoTime() - started) / 1e9;
                        bar.stepTo(follow ? counts[0] + counts[1] : Math.min(expected.size(), countDone(done, expected)));
                        bar.setExtraMessage(String.format("%d samples, %d rejections, %.2f/s", counts[0], counts[1],
                                (counts[0] + counts[1]) / Math.max(seconds, 1e-3)));
                        if (!follow && done.containsAll(expected)) {
                            break;
                        }
                        if (!follow && finished(job) && consumerIdle(consumer)) {
                            break;
                        }
                    }
                } finally {
                    Thread.interrupted(); // a stop request has been honoured; the wrap-up below must not be interrupted
                    if (stopper != null) {
                        try {
                            Runtime.getRuntime().removeShutdownHook(stopper);
                        } catch (IllegalStateException shuttingDown) {
                            // the hook is running and waits for the wrap-up below
                        }
                    }
                }
                if (!finished(job)) {
                    try {
                        job.cancel().get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        out.println("The job did not confirm its cancellation: " + e.getMessage());
                    }
                }
                Path index = gallery.write();
                summary(gallery, enabled, index, expected.size() - countDone(done, expected));
                return 0;
            } finally {
                wrapUp.countDown();
            }
        }
    }

    /** A finished bounded job shuts its MiniCluster down, after which status queries fail: that too is finished. */
    private static boolean finished(JobClient job) {
        try {
            return job.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState();
        } catch (Exception e) {
            return true;
        }
    }

    private static boolean consumerIdle(OutputConsumer consumer) {
        return consumer.poll(Duration.ofSeconds(2), s -> { }, r -> { }) == 0;
    }

    private static int countDone(Set<String> done, Set<String> expected) {
        int n = 0;
        for (String id : expected) {
            if (done.contains(id)) {
                n++;
            }
        }
        return n;
    }

    private void printTasks(JobConfig config, EnabledTasks enabled) {
        out.println("Tasks enabled: " + String.join(", ", enabled.enabled().stream().map(TaskCatalogue::nameOf).toList()));
        EditStreamJob.startupLines(config, enabled).forEach(out::println);
        out.flush();
    }

    private void summary(Gallery gallery, EnabledTasks enabled, Path index, int missing) {
        out.println();
        out.println("Samples per task:      " + gallery.samplesPerTask());
        out.println("Rejections per reason: " + gallery.rejectionsPerReason());
        out.println("Tasks disabled:        " + enabled.disabled().size() + " of 16 (reasons above)");
        if (missing > 0) {
            out.println("Captions without an outcome yet: " + missing);
        }
        out.println("Gallery: " + index.toAbsolutePath());
        out.flush();
    }

    /** On Ctrl-C: stop the main loop, then give it time to write the gallery and the summary. */
    private static Thread interruptOnShutdown(Thread main, CountDownLatch wrapUp) {
        Thread hook = new Thread(() -> {
            main.interrupt();
            try {
                wrapUp.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "editstream-local-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

}
