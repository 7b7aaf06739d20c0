package org.editstream.cli;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.captions.CaptionValidator;
import org.editstream.imaging.ImageDecoder;
import org.editstream.instruct.Agents;
import org.editstream.instruct.TemplateInstructionWriter;
import org.editstream.perception.MiniLmSentences;
import org.editstream.perception.TaskPredictor;
import org.editstream.job.EditStreamJob;
import org.editstream.job.FlinkSettings;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.DemoCaptions;
import org.editstream.local.EmbeddedKafka;
import org.editstream.recipes.RecipeBook;
import org.editstream.recipes.SampleMaker;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditRequest;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Task;
import org.editstream.tasks.TaskMix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (numbers are printed, never asserted).",
        subcommands = {BenchCommand.Stream.class, BenchDiffusionCommand.class, BenchClipCommand.class, BenchLlmCommand.class, BenchExportCommand.class, BenchPairCommand.class, BenchPerceptionCommand.class, BenchMemoryCommand.class, BenchEngineCommand.class})
public class BenchCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "stream", mixinStandardHelpOptions = true,
            description = {"Samples/s of the color task through the whole job (Kafka in and out, exactly once, parallelism 1)",
                    "against a plain Java loop doing the same decode -> edit -> encode -> task check on the same images, in one run."})
    static class Stream implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--samples", defaultValue = "300", description = "Captions per run (default: ${DEFAULT-VALUE}).")
        int samples;

        @Option(names = "--warmup", defaultValue = "30", description = "Samples of the plain loop run before timing (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<CaptionEvent> captions = captions(samples);
            JobConfig base = JobConfig.builder("embedded").parallelism(1).bounded(true)
                    .checkpointInterval(Duration.ofSeconds(1)).taskMix(TaskMix.parse("color=1")).build();

            double loopRate = plainLoop(base, captions);
            out.printf("plain loop:  %d samples, %.2f samples/s (decode -> color edit -> PNG encode -> task predictor, one thread)%n",
                    captions.size(), loopRate);
            out.flush();

            double[] stream = throughJob(base, captions);
            out.printf("stream job:  %d samples, %.2f samples/s steady state (first to last sample made), "
                    + "%.2f samples/s end to end including job start-up and the final commit%n", captions.size(), stream[0], stream[1]);
            out.printf("overhead:    %.1f%% (steady state vs plain loop)%n", 100 * (1 - stream[0] / loopRate));
            out.printf("machine:     %d cores, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), System.getProperty("os.arch"));
            return 0;
        }

        private static List<CaptionEvent> captions(int n) throws Exception {
            Path demo = DemoCaptions.unpack(Files.createTempDirectory("editstream-bench"));
            List<byte[]> images = new ArrayList<>();
            for (String name : List.of("astronaut.png", "chelsea.png", "coffee.png", "hubble.jpg")) {
                images.add(Files.readAllBytes(demo.resolveSibling(name)));
            }
            List<CaptionEvent> captions = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                captions.add(CaptionEvent.newBuilder().setId("bench-" + i).setCaption("benchmark photo " + i).setTaskHint("color")
                        .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(images.get(i % images.size()))).build()).build());
            }
            return captions;
        }

        private double plainLoop(JobConfig config, List<CaptionEvent> captions) throws Exception {
            ImageDecoder decoder = new ImageDecoder(config.imageLimits());
            CaptionValidator validator = new CaptionValidator(config.captionLimits(), decoder, config.imageStore().policy());
            TemplateInstructionWriter writer = new TemplateInstructionWriter();
            // the job scores every sample with the task predictor (no CLIP model here): so does the loop
            TaskPredictor predictor = TaskPredictor.fromAgents(MiniLmSentences.shared(), Agents.bundled());
            try (RecipeBook recipes = RecipeBook.open(config.tools(), Set.of(Task.COLOR))) {
                SampleMaker maker = new SampleMaker(recipes, decoder, config.imageStore().open(), config.jobVersion());
                for (int i = 0; i < warmup; i++) {
                    make(validator, writer, maker, predictor, captions.get(i % captions.size()));
                }
                long start = System.nanoTime();
                for (CaptionEvent caption : captions) {
                    make(validator, writer, maker, predictor, caption);
                }
                return captions.size() / ((System.nanoTime() - start) / 1e9);
            }
        }

        private static void make(CaptionValidator validator, TemplateInstructionWriter writer, SampleMaker maker,
                                 TaskPredictor predictor, CaptionEvent caption) throws Exception {
            CaptionEvent valid = validator.validate(caption);
            long seed = CaptionValidator.seedOf(valid);
            EditRequest request = EditRequest.newBuilder().setCaption(valid).setTask(Task.COLOR).setSeed(seed)
                    .setInstruction(writer.write(valid, Task.COLOR, seed)).build();
            predictor.predict(maker.make(request).getInstruction());
        }

        /** Returns {steady-state rate, end-to-end rate}. */
        private static double[] throughJob(JobConfig base, List<CaptionEvent> captions) throws Exception {
            int maxMessage = base.maxRecordBytes() + KafkaTopics.FRAMING_BYTES;
            try (EmbeddedKafka kafka = EmbeddedKafka.start(maxMessage, null)) {
                JobConfig config = base.toBuilder().bootstrapServers(kafka.bootstrapServers()).build();
                KafkaTopics.ensure(config, 1, (short) 1);
                try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(), maxMessage, Map.of())) {
                    captions.forEach(producer::send);
                    producer.flush();
                }
                StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, FlinkSettings.of(config));
                EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
                long start = System.nanoTime();
                env.executeAsync("editstream-bench").getJobExecutionResult().get(30, TimeUnit.MINUTES);
                double endToEnd = captions.size() / ((System.nanoTime() - start) / 1e9);
                List<Long> made = Collections.synchronizedList(new ArrayList<>());
                try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                        config.rejectionsTopic(), maxMessage, Map.of())) {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (made.size() < captions.size() && System.nanoTime() < deadline) {
                        consumer.poll(Duration.ofMillis(500), s -> made.add(s.getLineage().getCreatedAt().toEpochMilli()), r -> { });
                    }
                }
                if (made.size() < 2) {
                    throw new IllegalStateException("the job produced " + made.size() + " samples of " + captions.size());
                }
                Collections.sort(made);
                double steady = (made.size() - 1) / ((made.get(made.size() - 1) - made.get(0)) / 1000.0);
                return new double[] {steady, endToEnd};
            }
        }
    }
}
