package org.editstream.local;

import me.tongfei.progressbar.ProgressBar;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.job.EditStreamJob;
import org.editstream.job.FlinkSettings;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.editstream.job.Recovery;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.schema.CaptionEvent;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskCatalogue;

import java.io.IOException;
import java.io.PrintWriter;
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
    /** Once the job has finished, its last outcomes are committed: this long without one more means none is coming. */
    static final Duration AFTER_FINISH = Duration.ofSeconds(60);
    private final PrintWriter out;
    private final Duration outcomeWait;

    public LocalStack(PrintWriter out) {
        this(out, Duration.ofMinutes(35));
    }

    /**
     * @param outcomeWait how long a bounded run waits for a next outcome before it gives up (generation on a CPU can
     *                    take minutes per sample; the generation operator's own timeout is 30 minutes)
     */
    public LocalStack(PrintWriter out, Duration outcomeWait) {
        this.out = out;
        this.outcomeWait = outcomeWait;
    }

    /**
     * @param config   the job's configuration (the bootstrap servers are replaced by the embedded broker's)
     * @param captions the captions to send
     * @param follow   keep running for new captions until interrupted, instead of stopping when these are done
     * @param webPort  dashboard port (0: a free one)
     */
    public int run(JobConfig config, List<CaptionEvent> captions, boolean follow, Path galleryFolder, int webPort)
            throws Exception {
        return run(config, captions, follow, galleryFolder, webPort, null, null, LOOPBACK);
    }

    /** Where the embedded stack listens unless told otherwise: this machine only. */
    public static final String LOOPBACK = "127.0.0.1";

    /**
     * @param fromCheckpoint a checkpoint to resume from ({@code latest}: the newest of this job under the checkpoint
     *                       directory), or null to start without state: the embedded broker is new on every run
     * @param fromSavepoint  a savepoint to resume from, or null
     * @param bind           the address the broker, the dashboard and Flink's RPC servers listen on
     *                       ({@link #LOOPBACK} by default)
     */
    public int run(JobConfig config, List<CaptionEvent> captions, boolean follow, Path galleryFolder, int webPort,
                   String fromCheckpoint, String fromSavepoint, String bind) throws Exception {
        int maxMessage = config.maxRecordBytes() + KafkaTopics.FRAMING_BYTES;
        out.println("Starting Kafka (KRaft, in-process)...");
        out.flush();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(maxMessage, null, bind)) {
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

            int port = webPort > 0 ? webPort : Ports.free("0.0.0.0");
            Configuration flink = FlinkSettings.of(local);
            if (fromCheckpoint != null || fromSavepoint != null) {
                Recovery recovery = Recovery.decide(local, fromCheckpoint, fromSavepoint);
                out.println(recovery.line());
                recovery.applyTo(flink, local);
            }
            flink.setString("rest.port", Integer.toString(port));
            for (String key : List.of("rest.bind-address", "rest.address", "jobmanager.bind-host", "jobmanager.rpc.address",
                    "taskmanager.bind-host", "taskmanager.host")) {
                flink.setString(key, bind);
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
            env.setParallelism(local.parallelism());
            EditStreamJob.build(env, local, enabled);
            JobClient job = env.executeAsync("editstream");
            out.println("Flink dashboard: http://" + (bind.contains(":") ? "[" + bind + "]" : bind) + ":" + port + "  (job "
                    + job.getJobID() + "; listening on " + bind + (LOOPBACK.equals(bind) ? " only, --bind ADDRESS opens it" : "")
                    + ")");
            out.flush();

            Gallery gallery = new Gallery(galleryFolder);
            Set<String> done = new HashSet<>();
            Set<String> expected = new HashSet<>();
            captions.forEach(c -> expected.add(c.getId()));
            long started = System.nanoTime();
            CountDownLatch wrapUp = new CountDownLatch(1);
            String gaveUp = null;
            Runnable stopper = follow ? stopOnSignals(Thread.currentThread(), wrapUp) : () -> { };
            try {
                try (OutputConsumer consumer = new OutputConsumer(local.bootstrapServers(), local.samplesTopic(),
                        local.rejectionsTopic(), maxMessage, local.kafkaProperties(), local.schemaRegistry());
                     ProgressBar bar = ConsoleProgress.bar("samples", follow ? -1 : expected.size())) {
                    int[] counts = new int[2];
                    long finishedAt = -1;
                    long lastOutcome = System.nanoTime();
                    int outcomes = 0;
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
                        long now = System.nanoTime();
                        if (counts[0] + counts[1] > outcomes) {
                            outcomes = counts[0] + counts[1];
                            lastOutcome = now;
                        }
                        if (!follow && finishedAt < 0 && finished(job)) {
                            finishedAt = now;
                        }
                        if (!follow && now - lastOutcome > outcomeWait.toNanos()) {
                            gaveUp = "no outcome for " + outcomeWait.toSeconds() + " s (--outcome-wait)";
                            break;
                        }
                        if (!follow && finishedAt >= 0 && now - Math.max(finishedAt, lastOutcome) > AFTER_FINISH.toNanos()) {
                            gaveUp = "the job finished and nothing more came for " + AFTER_FINISH.toSeconds() + " s";
                            break;
                        }
                    }
                    // a stop request has been honoured: closing the consumer and the bar must not see it
                    stopper.run();
                    Thread.interrupted();
                } finally {
                    Thread.interrupted(); // a stop request has been honoured; the wrap-up below must not be interrupted
                    stopper.run();
                }
                // the gallery and the summary first: on Ctrl-C or SIGTERM the other shutdown hooks (Flink's, Kafka's)
                // run beside this one, and cancelling the job can take as long as they allow
                Path index = gallery.write();
                List<String> missing = expected.stream().filter(id -> !done.contains(id)).sorted().toList();
                summary(gallery, enabled, index, missing, follow ? "stopped" : gaveUp);
                if (!finished(job)) {
                    try {
                        job.cancel().get(30, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        out.println("The job did not confirm its cancellation: " + e.getMessage());
                    }
                }
                return follow || missing.isEmpty() ? 0 : 1;
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

    private void summary(Gallery gallery, EnabledTasks enabled, Path index, List<String> missing, String why) {
        out.println();
        out.println("Samples per task:      " + gallery.samplesPerTask());
        out.println("Rejections per reason: " + gallery.rejectionsPerReason());
        out.println("Tasks disabled:        " + enabled.disabled().size() + " of 16 (reasons above)");
        out.println("Gallery: " + index.toAbsolutePath());
        if (!missing.isEmpty()) {
            out.println(("stopped".equals(why) ? "Stopped; captions without an outcome yet: " : "Gave up (" + why
                    + "); captions without an outcome: ") + missing.size() + ": "
                    + String.join(", ", missing.subList(0, Math.min(missing.size(), 100)))
                    + (missing.size() > 100 ? ", ..." : ""));
        }
        out.flush();
    }

    /**
     * On Ctrl-C or SIGTERM: stop the main loop, which writes the gallery and the summary and cancels the job before
     * the JVM shuts down. Handled as signals, not in a shutdown hook: during shutdown the other hooks free native
     * libraries (ONNX Runtime's) that the job's threads are still calling, which crashed the JVM (SIGSEGV) before
     * the contact sheet and the summary were written. A second signal stops the JVM at once, as usual.
     *
     * @return what undoes it once the loop has stopped
     */
    @SuppressWarnings("restriction")
    private static Runnable stopOnSignals(Thread main, CountDownLatch wrapUp) {
        try {
            java.util.Map<sun.misc.Signal, sun.misc.SignalHandler> previous = new java.util.concurrent.ConcurrentHashMap<>();
            Runnable restore = () -> previous.forEach(sun.misc.Signal::handle);
            for (String name : List.of("INT", "TERM")) {
                sun.misc.Signal signal = new sun.misc.Signal(name);
                previous.put(signal, sun.misc.Signal.handle(signal, s -> {
                    restore.run();
                    main.interrupt();
                }));
            }
            return restore;
        } catch (RuntimeException | LinkageError unsupported) {
            Thread hook = interruptOnShutdown(main, wrapUp);
            return () -> {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running and waits for the wrap-up
                }
            };
        }
    }

    /** Where signals cannot be handled: stop the main loop from a shutdown hook and give it time to wrap up. */
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


}
