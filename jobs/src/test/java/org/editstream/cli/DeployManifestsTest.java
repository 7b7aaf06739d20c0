package org.editstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The manifests in deploy/ agree with the job they deploy: the FlinkDeployment's arguments are parsed by the
 * real command line into the real {@link JobConfig}, and topics, sizes, parallelism, image and ports are
 * checked against it and against each other.
 */
class DeployManifestsTest {
    private static final Path DEPLOY = Path.of(System.getProperty("editstream.deploy", "../deploy"));
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static JsonNode flink;
    private static JsonNode flinkConf;
    private static JobConfig job;

    @BeforeAll
    static void parse() throws IOException {
        flink = single("flink-deployment.yaml", "FlinkDeployment");
        flinkConf = flink.at("/spec/flinkConfiguration");
        List<String> args = new ArrayList<>();
        flink.at("/spec/job/args").forEach(a -> args.add(a.asText()));
        CommandLine.ParseResult parsed = new CommandLine(new EditStreamCommand()).parseArgs(args.toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().userObject()).isInstanceOf(RunCommand.class);
        job = ((RunCommand) parsed.subcommand().commandSpec().userObject()).config();
    }

    @Test
    void theJobRunsTheEditstreamJarFromTheImage() throws IOException {
        assertThat(flink.at("/spec/image").asText()).isEqualTo("editstream:" + JobConfig.VERSION);
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        assertThat(dockerfile).contains("-t editstream:" + JobConfig.VERSION + " ");
        assertThat(flink.at("/spec/flinkVersion").asText()).isEqualTo("v" + flinkVersionInImage(dockerfile));

        URI jar = URI.create(flink.at("/spec/job/jarURI").asText());
        assertThat(jar.getScheme()).isEqualTo("local");
        assertThat(dockerfile).contains("COPY jobs/target/editstream.jar " + jar.getPath());
        assertThat(flink.at("/spec/job/entryClass").asText()).isEqualTo(EditStreamCommand.class.getName());
    }

    @Test
    void nativeLibrariesComeFromFlinksLibParentFirst() throws IOException {
        assertThat(Files.readString(DEPLOY.resolve("Dockerfile"))).contains("COPY jobs/target/flink-lib/ /opt/flink/lib/");
        // the same packages as the local cluster's, which ClusterIT proves across a resubmission
        assertThat(flinkConf.path("classloader.parent-first-patterns.additional").asText().split(";"))
                .containsExactlyInAnyOrder(org.editstream.cluster.LocalCluster.PARENT_FIRST.split(";"));
    }

    @Test
    void theLlmKeyVariableThePodsSetIsTheOneTheJobReads() {
        assertThat(job.instructions().llm()).isNotNull();
        assertThat(job.instructions().usesLlm(org.editstream.schema.Task.LOCAL)).isTrue();
        List<String> env = flink.at("/spec/taskManager/podTemplate/spec/containers/0/env").findValuesAsText("name");
        assertThat(env).contains(job.instructions().llm().apiKeyEnv());
    }

    @Test
    void theExportSinksWriteThroughTheS3PluginWithARecoverableWriter() throws IOException {
        String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
        for (String uri : List.of(job.export().parquet(), job.export().webDataset())) {
            assertThat(URI.create(uri).getScheme()).isEqualTo("s3a");
        }
        assertThat(dockerfile).contains("cp /opt/flink/opt/flink-s3-fs-hadoop-*.jar /opt/flink/plugins/s3-fs-hadoop/");
    }

    @Test
    void oneSlotPerGpuAndParallelismFillsTheSlots() {
        int slots = Integer.parseInt(flinkConf.path("taskmanager.numberOfTaskSlots").asText());
        int gpus = flink.at("/spec/taskManager/podTemplate/spec/containers/0/resources/limits").path("nvidia.com/gpu").asInt();
        int taskManagers = flink.at("/spec/taskManager/replicas").asInt();
        assertThat(slots).isEqualTo(1).isEqualTo(gpus);
        assertThat(flink.at("/spec/taskManager/podTemplate/spec/containers/0/name").asText()).isEqualTo("flink-main-container");
        assertThat(flink.at("/spec/job/parallelism").asInt()).isEqualTo(job.parallelism()).isEqualTo(taskManagers * slots);
        assertThat(flink.at("/spec/taskManager/podTemplate/spec/tolerations").findValuesAsText("key")).contains("nvidia.com/gpu");
    }

    @Test
    void taskManagerMemoryLeavesTheModelsTheirOffHeapAndTheJobAHeap() {
        Map<String, String> settings = new HashMap<>();
        flinkConf.fields().forEachRemaining(e -> settings.put(e.getKey(), e.getValue().asText()));
        // the operator sets the process size from the pods' resource
        settings.put(TaskManagerOptions.TOTAL_PROCESS_MEMORY.key(), flink.at("/spec/taskManager/resource/memory").asText());
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(Configuration.fromMap(settings));
        assertThat(spec.getTaskOffHeapSize()).isEqualTo(MemorySize.parse(settings.get(TaskManagerOptions.TASK_OFF_HEAP_MEMORY.key())));
        assertThat(spec.getManagedMemorySize()).isEqualTo(MemorySize.parse("256m"));
        assertThat(spec.getTaskHeapSize().getBytes()).as("task heap").isGreaterThanOrEqualTo(MemorySize.parse("1g").getBytes());
    }

    @Test
    void stateIsRocksDbWithCheckpointsAndHaInObjectStorage() {
        assertThat(flinkConf.path("state.backend.type").asText()).isEqualTo("rocksdb");
        assertThat(flinkConf.path("high-availability.type").asText()).isEqualTo("kubernetes");
        String checkpoints = flinkConf.path("execution.checkpointing.dir").asText();
        assertThat(job.checkpointDirectory()).isEqualTo(checkpoints);
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir")) {
            assertThat(URI.create(flinkConf.path(key).asText()).getScheme()).as(key).isIn("s3", "gs", "abfss", "oss");
        }
        assertThat(flinkDuration(flinkConf.path("execution.checkpointing.interval").asText())).isEqualTo(job.checkpointInterval());
        // the sink's transactions outlive a checkpoint interval with room for a slow checkpoint
        assertThat(job.transactionTimeout()).isGreaterThan(job.checkpointInterval().multipliedBy(4));
    }

    @Test
    void upgradesAndFailuresResumeFromTheLatestState() {
        assertThat(flink.at("/spec/job/upgradeMode").asText()).isEqualTo("last-state");
        assertThat(flinkConf.path("high-availability.type").asText()).isEqualTo("kubernetes");
        assertThat(flinkConf.path("execution.checkpointing.externalized-checkpoint-retention").asText())
                .isEqualTo("RETAIN_ON_CANCELLATION");
        assertThat(Integer.parseInt(flinkConf.path("execution.checkpointing.tolerable-failed-checkpoints").asText())).isPositive();
        // the cluster's checkpoint timeout is the one the job sizes for its own in-process runs
        assertThat(flinkDuration(flinkConf.path("execution.checkpointing.timeout").asText()))
                .isEqualTo(org.editstream.job.FlinkSettings.checkpointTimeout(job));
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir")) {
            assertThat(flinkConf.path(key).asText()).as(key).isNotBlank();
        }
    }

    @Test
    void topicsExistForEveryTopicTheJobUsesAndHoldItsLargestRecords() throws IOException {
        List<JsonNode> topics = all("kafka-topics.yaml", "KafkaTopic");
        List<String> names = topics.stream().map(t -> t.at("/metadata/name").asText()).toList();
        assertThat(names).contains(job.captionsTopic(), job.samplesTopic(), job.rejectionsTopic());

        JsonNode kafka = single("kafka-cluster.yaml", "Kafka");
        String cluster = kafka.at("/metadata/name").asText();
        JsonNode broker = kafka.at("/spec/kafka/config");
        long brokerMax = broker.path("message.max.bytes").asLong();
        assertThat(broker.path("replica.fetch.max.bytes").asLong()).isGreaterThanOrEqualTo(brokerMax);
        assertThat(Duration.ofMillis(broker.path("transaction.max.timeout.ms").asLong())).isGreaterThanOrEqualTo(job.transactionTimeout());

        for (JsonNode topic : topics) {
            assertThat(topic.at("/metadata/labels").path("strimzi.io/cluster").asText()).isEqualTo(cluster);
            long topicMax = Long.parseLong(topic.at("/spec/config").path("max.message.bytes").asText());
            assertThat(topicMax).as(topic.at("/metadata/name").asText()).isLessThanOrEqualTo(brokerMax);
            assertThat(topic.at("/spec/replicas").asInt()).isGreaterThan(broker.path("min.insync.replicas").asInt());
        }
        for (String imageTopic : List.of(job.captionsTopic(), job.samplesTopic())) {
            JsonNode topic = topics.get(names.indexOf(imageTopic));
            assertThat(Long.parseLong(topic.at("/spec/config").path("max.message.bytes").asText()))
                    .as(imageTopic).isGreaterThanOrEqualTo((long) job.maxRecordBytes() + KafkaTopics.FRAMING_BYTES);
        }

        List<Integer> ports = kafka.at("/spec/kafka/listeners").findValues("port").stream().map(JsonNode::asInt).toList();
        String bootstrap = job.bootstrapServers();
        assertThat(bootstrap.substring(0, bootstrap.indexOf(':'))).isEqualTo(cluster + "-kafka-bootstrap");
        assertThat(ports).contains(Integer.parseInt(bootstrap.substring(bootstrap.indexOf(':') + 1)));
    }

    @Test
    void prometheusScrapesTheReporterPortOfEveryPod() throws IOException {
        assertThat(flinkConf.path("metrics.reporter.prom.factory.class").asText())
                .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        int reporterPort = Integer.parseInt(flinkConf.path("metrics.reporter.prom.port").asText());
        JsonNode monitor = single("prometheus.yaml", "PodMonitor");
        String portName = monitor.at("/spec/podMetricsEndpoints/0/port").asText();
        JsonNode ports = flink.at("/spec/podTemplate/spec/containers/0/ports");
        assertThat(ports.findValuesAsText("name")).contains(portName);
        ports.forEach(p -> {
            if (p.path("name").asText().equals(portName)) {
                assertThat(p.path("containerPort").asInt()).isEqualTo(reporterPort);
            }
        });
        // Flink's native Kubernetes integration labels every pod of a deployment app=<deployment name>
        assertThat(monitor.at("/spec/selector/matchLabels/app").asText()).isEqualTo(flink.at("/metadata/name").asText());
    }

    private static String flinkVersionInImage(String dockerfile) {
        Matcher m = Pattern.compile("(?m)^FROM flink:(\\d+)\\.(\\d+)\\.\\d+").matcher(dockerfile);
        assertThat(m.find()).as("Dockerfile FROM flink:<version>").isTrue();
        return m.group(1) + "_" + m.group(2);
    }

    /** Flink's duration syntax as used in the manifest: "<n> s", "<n> min" or "<n> ms". */
    private static Duration flinkDuration(String text) {
        Matcher m = Pattern.compile("(\\d+)\\s*(ms|s|min)").matcher(text.strip());
        assertThat(m.matches()).as("duration " + text).isTrue();
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private static JsonNode single(String file, String kind) throws IOException {
        List<JsonNode> found = all(file, kind);
        assertThat(found).as(kind + " in " + file).hasSize(1);
        return found.get(0);
    }

    private static List<JsonNode> all(String file, String kind) throws IOException {
        List<JsonNode> documents = new ArrayList<>();
        try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(DEPLOY.resolve(file).toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(d -> {
                if (kind.equals(d.path("kind").asText())) {
                    documents.add(d);
                }
            });
        }
        return documents;
    }
}
