package org.editstream.cli;

import me.tongfei.progressbar.ProgressBar;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.local.ConsoleProgress;
import org.editstream.export.ShardVerifier;
import org.editstream.flink.ExportSinks;
import org.editstream.job.ExportJob;
import org.editstream.job.JobConfig;
import org.editstream.kafka.TopicKeys;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "export", mixinStandardHelpOptions = true, subcommands = ExportCommand.Verify.class,
        description = {"Exports the samples topic (read_committed, from its start to its end as of now) into Parquet or",
                "WebDataset shards under --out, partitioned task=/date=. 'export verify DIR' checks an export."})
public class ExportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--bootstrap-servers", description = "Kafka bootstrap servers, host:port[,host:port].")
    String bootstrapServers;

    @Option(names = "--from-topic", defaultValue = "samples", description = "The samples topic (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--format", defaultValue = "parquet", description = "parquet or webdataset (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", description = "Output folder or URI (file:///..., s3://...).")
    String out;

    @Option(names = "--schema-registry", description = "Schema registry URL when the topic carries its wire format.")
    String schemaRegistry;

    @picocli.CommandLine.Mixin
    FileSizeOptions fileSizes = new FileSizeOptions();

    @Option(names = "--kafka-property", description = "Extra Kafka client property (repeatable).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        if (bootstrapServers == null || out == null) {
            throw new IllegalArgumentException("export needs --bootstrap-servers and --out (or the subcommand 'verify DIR')");
        }
        ExportJob.Format f = switch (format.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "parquet" -> ExportJob.Format.PARQUET;
            case "webdataset", "wds" -> ExportJob.Format.WEBDATASET;
            default -> throw new IllegalArgumentException("--format must be parquet or webdataset, got " + format);
        };
        PrintWriter console = spec.commandLine().getOut();
        JobConfig config = JobConfig.builder(bootstrapServers).samplesTopic(topic).schemaRegistryUrl(schemaRegistry)
                .kafkaProperties(Map.copyOf(kafkaProperties))
                .export(new JobConfig.Export(null, null, fileSizes.sizes())).build();
        String target = JobOptions.folderUri(out);
        long upTo = TopicKeys.offsetSpan(bootstrapServers, topic, kafkaProperties);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ExportJob.build(env, config, f, target);
        JobClient job = env.executeAsync("editstream-export");
        long exported = 0;
        try (ProgressBar bar = ConsoleProgress.bar("samples", upTo)) {
            var done = job.getJobExecutionResult();
            while (!done.isDone()) {
                exported = accumulated(job, exported);
                bar.stepTo(exported);
                Thread.sleep(500);
            }
            var result = done.get(1, TimeUnit.MINUTES);
            Long total = result.getAccumulatorResult(ExportJob.EXPORTED);
            exported = total == null ? 0 : total;
            bar.maxHint(exported);
            bar.stepTo(exported);
        }
        console.printf("Exported %d samples from %s to %s (%s)%n", exported, topic, target, f.name().toLowerCase(java.util.Locale.ROOT));
        return 0;
    }

    private static long accumulated(JobClient job, long before) {
        try {
            Object value = job.getAccumulators().get(5, TimeUnit.SECONDS).get(ExportJob.EXPORTED);
            return value instanceof Long l ? l : before;
        } catch (Exception notYet) {
            return before;
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Scans an export folder: every file opens, samples per task, duplicate ids; with",
                    "--bootstrap-servers also ids missing from the files or absent from the topic. Exit 1 on any problem."})
    static class Verify implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Parameters(index = "0", description = "The export folder (local).")
        Path folder;

        @Option(names = "--bootstrap-servers", description = "Compare with the sample ids on the topic.")
        String bootstrapServers;

        @Option(names = "--topic", defaultValue = "samples", description = "The samples topic (default: ${DEFAULT-VALUE}).")
        String topic;

        @Override
        public Integer call() throws Exception {
            PrintWriter console = spec.commandLine().getOut();
            Set<String> expected = bootstrapServers == null ? null : TopicKeys.read(bootstrapServers, topic, Map.of());
            ShardVerifier.Report report = ShardVerifier.verify(folder, expected);
            console.printf("%d files, %d samples; per task %s%s%n", report.files(), report.samples(), report.samplesPerTask(),
                    report.uncommitted() == 0 ? "" : "; " + report.uncommitted() + " uncommitted (in-progress) files skipped");
            if (expected != null) {
                console.printf("topic %s holds %d sample ids%n", topic, expected.size());
            }
            report.problems().forEach(p -> console.println("PROBLEM: " + p));
            console.println(report.ok() ? "OK" : report.problems().size() + " problems");
            return report.ok() ? 0 : 1;
        }
    }
}
