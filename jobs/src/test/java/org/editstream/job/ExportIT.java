package org.editstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.editstream.cli.EditStreamCommand;
import org.editstream.export.ParquetRows;
import org.editstream.export.SampleJson;
import org.editstream.export.ShardVerifier;
import org.editstream.export.TrainingRows;
import org.editstream.flink.ExportSinks;
import org.editstream.flink.ShardNumbering;
import org.editstream.imaging.ImageRefs;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.schema.EditSample;
import org.editstream.schema.StandaloneSchemas;
import org.editstream.schema.export.TrainingRow;
import org.editstream.tasks.TaskCatalogue;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job writes Parquet and WebDataset beside the samples topic, across a restart, with targets small enough that
 * Flink's compaction merges files; then {@code export} (the bounded one-off job) exports the topic again. Independent
 * readers find exactly the topic's samples, each in exactly one file, field for field: parquet-avro, DuckDB's JDBC
 * driver and commons-compress here, and the README's own snippets in Python (pyarrow, pandas, DuckDB, datasets,
 * tarfile, fastavro) and Node (kafkajs, avsc). {@code export verify} finds faults planted in a copy.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExportIT {
    /** Compaction targets of the job's sinks: a few checkpoints' worth of this test's small samples. */
    private static final long TARGET_BYTES = 48 * 1024;
    private static final int EXPORT_SHARD_SAMPLES = 5;
    private static final int PARALLELISM = 2;
    /**
     * Files a folder may hold under the target: each compactor subtask merges what it has of a folder when it is
     * restored (the restart drill) and when its input ends, whatever the size.
     */
    private static final int SMALL_FILES_PER_FOLDER = 2 * PARALLELISM;
    /**
     * The size from which a compacted Parquet file counts as having reached the target. Flink compacts a folder once its
     * files reach the target; the Parquet compactor writes their rows again as one file, with one footer and one set of
     * column chunks where the inputs had one each, so the result can be smaller than the inputs that reached the target
     * (46,083 bytes for 48 KiB in one run). Shards are their inputs' entries concatenated and keep the full size.
     */
    private static final long PARQUET_REACHED_BYTES = TARGET_BYTES * 7 / 8;

    private Path work;
    private EmbeddedKafka kafka;
    private JobConfig config;
    private Map<String, EditSample> byId;
    private Path jobFiles;
    private Path exportFiles;

    @BeforeAll
    void runTheJobThenExport(@TempDir Path folder) throws Exception {
        work = folder;
        jobFiles = work.resolve("job");
        exportFiles = work.resolve("cmd");
        kafka = EmbeddedKafka.start(16 * 1024 * 1024, null);
        config = JobConfig.builder(kafka.bootstrapServers())
                .groupId("export").transactionalIdPrefix("export").bounded(true).parallelism(PARALLELISM)
                .checkpointInterval(Duration.ofMillis(400)).checkpointDirectory(work.resolve("cp").toUri().toString())
                .taskMix(TaskMix.parse("color=2,sketch=1")).restartDrillAfter(5)
                .export(new JobConfig.Export(jobFiles.resolve("export/parquet").toUri().toString(),
                        jobFiles.resolve("export/shards").toUri().toString(),
                        new ExportSinks.FileSizes(4, TARGET_BYTES, TARGET_BYTES, Duration.ofMinutes(10))))
                .build();
        KafkaTopics.ensure(config, 2, (short) 1);
        int captions = 40;
        try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                config.maxRecordBytes(), Map.of())) {
            for (int i = 0; i < captions; i++) {
                producer.send(TestImages.sceneCaption("x-" + i, i));
            }
            producer.flush();
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(PARALLELISM, FlinkSettings.of(config));
        EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
        env.executeAsync("editstream-export").getJobExecutionResult().get(10, TimeUnit.MINUTES);

        Map<String, EditSample> topic = JobOutputs.read(config, captions).samples();
        assertThat(topic).hasSizeGreaterThan(captions / 2);
        byId = new HashMap<>();
        topic.values().forEach(s -> byId.put(s.getSampleId(), s));

        for (String format : List.of("parquet", "webdataset")) {
            assertThat(cli("export", "--bootstrap-servers", kafka.bootstrapServers(), "--format", format,
                    "--out", exportFiles.resolve(format.equals("parquet") ? "export/parquet" : "export/shards").toString(),
                    "--shard-samples", Integer.toString(EXPORT_SHARD_SAMPLES))).isZero();
        }
        for (Path dir : List.of(jobFiles, exportFiles)) {
            Files.writeString(dir.resolve("EditSample.avsc"), StandaloneSchemas.published("EditSample"));
        }
    }

    @AfterAll
    void stopTheBroker() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void everySampleIsInExactlyOneCommittedFile() throws Exception {
        for (Path dir : List.of(jobFiles.resolve("export/parquet"), jobFiles.resolve("export/shards"),
                exportFiles.resolve("export/parquet"), exportFiles.resolve("export/shards"))) {
            ShardVerifier.Report report = ShardVerifier.verify(dir, byId.keySet());
            assertThat(report.problems()).as(dir.toString()).isEmpty();
            assertThat(report.samples()).as(dir.toString()).isEqualTo(byId.size());
        }
        assertThat(cli("export", "verify", exportFiles.resolve("export/shards").toString(),
                "--bootstrap-servers", kafka.bootstrapServers())).isZero();
    }

    @Test
    void javaReadersFindTheTopicsSamplesFieldForField() throws Exception {
        for (Path dir : List.of(jobFiles, exportFiles)) {
            assertThat(files(dir.resolve("export/parquet"), ".parquet")).allMatch(f -> dir.resolve("export/parquet").relativize(f)
                    .toString().matches("task=(color|sketch)/date=\\d{4}-\\d\\d-\\d\\d/[^/]+\\.parquet"));
            parquetEqualsTheTopic(dir.resolve("export/parquet"));
            duckDbReadsTheParquet(dir.resolve("export/parquet"));
            webDatasetEqualsTheTopic(dir.resolve("export/shards"));
        }
    }

    @Test
    void theJobsFilesAreCompactedToTheTargetSize() throws Exception {
        for (String kind : List.of("parquet", "shards")) {
            Map<Path, List<Path>> perFolder = byFolder(files(jobFiles.resolve("export/" + kind), kind.equals("parquet") ? ".parquet" : ".tar"));
            int checkpointFiles = 0;
            for (List<Path> folder : perFolder.values()) {
                List<Long> sizes = new ArrayList<>();
                for (Path f : folder) {
                    sizes.add(Files.size(f));
                }
                // a folder's files reach the target, but for those compacted at the end of the input and around the
                // restart, by each compactor subtask
                long reached = kind.equals("parquet") ? PARQUET_REACHED_BYTES : TARGET_BYTES;
                assertThat(sizes.stream().filter(s -> s < reached).count()).as(kind + " " + sizes)
                        .isLessThanOrEqualTo(SMALL_FILES_PER_FOLDER);
                checkpointFiles += folder.size();
            }
            long bytes = 0;
            for (List<Path> folder : perFolder.values()) {
                for (Path f : folder) {
                    bytes += Files.size(f);
                }
            }
            // against one file per checkpoint and folder without compaction (tens of them here)
            assertThat(checkpointFiles).as(kind).isLessThanOrEqualTo((int) (bytes / TARGET_BYTES) + SMALL_FILES_PER_FOLDER * perFolder.size());
        }
    }

    @Test
    void shardsAreNumberedWithoutGapsAndBraceExpansionNamesThemAll() throws Exception {
        // the job's across its restart and its final checkpoint, and export's
        for (Path dir : List.of(jobFiles.resolve("export/shards"), exportFiles.resolve("export/shards"))) {
            Map<Path, List<Path>> perFolder = byFolder(files(dir, ".tar"));
            assertThat(perFolder).isNotEmpty();
            for (Map.Entry<Path, List<Path>> folder : perFolder.entrySet()) {
                List<String> names = folder.getValue().stream().map(p -> p.getFileName().toString()).sorted().toList();
                List<String> expected = new ArrayList<>();
                for (int n = 0; n < names.size(); n++) {
                    expected.add(ShardNumbering.shardName(n));
                }
                assertThat(names).isEqualTo(expected);
                String pattern = "shard-{000000.." + String.format("%06d", names.size() - 1) + "}.tar";
                Process bash = new ProcessBuilder("bash", "-c", "printf '%s\\n' " + pattern).directory(folder.getKey().toFile()).start();
                List<String> expanded = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
                assertThat(bash.waitFor()).isZero();
                assertThat(expanded).isEqualTo(names);
            }
        }
        // export's shards hold exactly what was asked, the last of each folder excepted
        for (List<Path> folder : byFolder(files(exportFiles.resolve("export/shards"), ".tar")).values()) {
            List<Integer> counts = new ArrayList<>();
            for (Path shard : folder) {
                counts.add(membersByKey(shard).size());
            }
            assertThat(counts.subList(0, counts.size() - 1)).allMatch(c -> c == EXPORT_SHARD_SAMPLES);
            assertThat(counts.get(counts.size() - 1)).isBetween(1, EXPORT_SHARD_SAMPLES);
        }
    }

    @Test
    void theReadmesPythonReadersLoadTheFilesAsTheyAre() throws Exception {
        Map<String, String> snippets = ReaderSnippets.fromReadme();
        assertThat(snippets).containsKeys("pyarrow", "pandas", "duckdb", "datasets", "webdataset", "fastavro", "node");
        Map<String, String> taskOf = new TreeMap<>();
        byId.forEach((id, s) -> taskOf.put(id, TaskCatalogue.nameOf(s.getTask())));
        Map<String, String> inputSha = new TreeMap<>();
        byId.forEach((id, s) -> inputSha.put(id, sha256(ImageRefs.inlineBytes(s.getInputImage()))));
        ObjectMapper json = new ObjectMapper();
        for (Path dir : List.of(jobFiles, exportFiles)) {
            JsonNode pyarrow = ReaderSnippets.runPython(snippets.get("pyarrow"), """
                    import hashlib, json
                    rows = table.to_pylist()
                    print(json.dumps({"task_type": str(table.schema.field("task").type),
                                      "rows": {r["sample_id"]: [r["task"], hashlib.sha256(r["input_image"]["bytes"]).hexdigest()] for r in rows}}))
                    """, dir);
            assertThat(pyarrow.get("task_type").asText()).startsWith("dictionary<values=string");
            Map<String, List<String>> expected = new TreeMap<>();
            byId.keySet().forEach(id -> expected.put(id, List.of(taskOf.get(id), inputSha.get(id))));
            assertThat(json.convertValue(pyarrow.get("rows"), Map.class)).isEqualTo(expected);

            JsonNode pandas = ReaderSnippets.runPython(snippets.get("pandas"), """
                    import json
                    print(json.dumps(dict(zip(df["sample_id"], df["task"].astype(str)))))
                    """, dir);
            assertThat(json.convertValue(pandas, Map.class)).isEqualTo(taskOf);

            JsonNode duck = ReaderSnippets.runPython(snippets.get("duckdb"), """
                    import json
                    print(json.dumps({task: samples for task, samples, _ in per_task}))
                    """, dir);
            assertThat(json.convertValue(duck, Map.class)).isEqualTo(countsPerTask(taskOf));

            JsonNode datasets = ReaderSnippets.runPython(snippets.get("datasets"), """
                    import json
                    from PIL import Image
                    out = {}
                    for row in ds:
                        images = [row["input_image"], row["edited_image"]] + ([row["mask"]] if row["mask"] is not None else [])
                        assert all(isinstance(i, Image.Image) for i in images), [type(i) for i in images]
                        out[row["sample_id"]] = [row["task"], list(row["input_image"].size), row["instruction"]]
                    print(json.dumps(out))
                    """, dir);
            Map<String, List<Object>> expectedRows = new TreeMap<>();
            byId.forEach((id, s) -> expectedRows.put(id, List.of(taskOf.get(id),
                    List.of(s.getInputImage().getWidth(), s.getInputImage().getHeight()), s.getInstruction())));
            assertThat(json.convertValue(datasets, Map.class)).isEqualTo(json.convertValue(json.valueToTree(expectedRows), Map.class));

            JsonNode tars = ReaderSnippets.runPython(snippets.get("webdataset"), """
                    import json
                    out = {}
                    for key, parts in samples.items():
                        Image.open(io.BytesIO(parts["edited.png"])).load()
                        out[key] = json.loads(parts["json"])["task"]
                    print(json.dumps(out))
                    """, dir);
            assertThat(json.convertValue(tars, Map.class)).isEqualTo(taskOf);
        }
    }

    @Test
    void consumersInOtherLanguagesReadTheTopicWithTheSelfContainedSchema() throws Exception {
        Map<String, String> snippets = ReaderSnippets.fromReadme();
        // fastavro on the record values as the topic holds them
        Path values = work.resolve("values");
        Files.createDirectories(values);
        int n = 0;
        for (byte[] value : rawSamples()) {
            Files.write(values.resolve(n++ + ".bin"), value);
        }
        Files.copy(jobFiles.resolve("EditSample.avsc"), values.resolve("EditSample.avsc"));
        JsonNode fast = ReaderSnippets.runPython(snippets.get("fastavro"), """
                import glob
                out = {}
                for f in glob.glob("*.bin"):
                    s = decode(open(f, "rb").read())
                    out[s["sampleId"]] = [s["task"], s["instruction"], len(s["inputImage"]["data"])]
                print(json.dumps(out))
                """, values);
        Map<String, List<Object>> expected = new TreeMap<>();
        byId.forEach((id, s) -> expected.put(id, List.of(s.getTask().name(), s.getInstruction(),
                ImageRefs.inlineBytes(s.getInputImage()).length)));
        ObjectMapper json = new ObjectMapper();
        assertThat(json.convertValue(fast, Map.class)).isEqualTo(json.convertValue(json.valueToTree(expected), Map.class));

        // the Node consumer, against the broker, with read_committed
        Set<String> wanted = byId.keySet();
        List<String> lines = ReaderSnippets.runNode(snippets.get("node"), jobFiles, Map.of("BOOTSTRAP_SERVERS", kafka.bootstrapServers()),
                printed -> printed.stream().map(l -> l.split(" ")[0]).collect(Collectors.toSet()).containsAll(wanted));
        Map<String, String> seen = new HashMap<>();
        for (String line : lines) {
            String[] parts = line.split(" ", 3);
            if (parts.length == 3 && byId.containsKey(parts[0])) {
                assertThat(seen.put(parts[0], parts[1] + " " + parts[2])).as("printed twice: " + parts[0]).isNull();
            }
        }
        Map<String, String> expectedLines = new HashMap<>();
        byId.forEach((id, s) -> expectedLines.put(id, s.getTask().name() + " " + s.getInstruction()));
        assertThat(seen).as(String.join("\n", lines)).isEqualTo(expectedLines);
    }

    @Test
    void exportVerifyFindsPlantedFaults() throws Exception {
        Path good = exportFiles.resolve("export/shards");
        Path broken = work.resolve("broken");
        copy(good, broken);
        List<Path> tars = files(broken, ".tar");
        assertThat(tars).hasSizeGreaterThanOrEqualTo(3);
        Path truncated = tars.get(0);
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(truncated), (int) Files.size(truncated) / 2));
        Files.copy(tars.get(1), tars.get(1).resolveSibling("shard-copy.tar"));
        Files.delete(tars.get(2));
        StringWriter out = new StringWriter();
        int code = EditStreamCommand.commandLine().setOut(new PrintWriter(out))
                .execute("export", "verify", broken.toString(), "--bootstrap-servers", kafka.bootstrapServers());
        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .contains(broken.relativize(truncated) + ": truncated or unreadable tar")
                .contains("appears twice")
                .containsPattern("PROBLEM: \\d+ sample ids of the topic are in no file");
    }

    @Test
    void exportOfTheWrongWireFormatSaysWhich() {
        StringWriter err = new StringWriter();
        int code = EditStreamCommand.commandLine().setErr(new PrintWriter(err)).execute("export", "--bootstrap-servers",
                kafka.bootstrapServers(), "--format", "parquet", "--out", work.resolve("wrong").toString(),
                "--schema-registry", "http://127.0.0.1:9");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("plain Avro is read without a schema registry");
    }

    private void parquetEqualsTheTopic(Path dir) throws Exception {
        int n = 0;
        for (Path file : files(dir, ".parquet")) {
            try (ParquetReader<TrainingRow> reader = ParquetRows.reader(new LocalInputFile(file))) {
                for (TrainingRow r = reader.read(); r != null; r = reader.read()) {
                    assertThat(r).as(r.getSampleId()).isEqualTo(TrainingRows.of(byId.get(r.getSampleId())));
                    n++;
                }
            }
        }
        assertThat(n).isEqualTo(byId.size());
    }

    private void duckDbReadsTheParquet(Path dir) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select sample_id, task, instruction, input_caption, scores.pixel_l1, generation.seed, "
                     + "lineage.prompt_template_version, input_image.bytes, edited_image.bytes, input_image_info.width from read_parquet('"
                     + dir + "/**/*.parquet', hive_partitioning = true)")) {
            int n = 0;
            while (rs.next()) {
                EditSample s = byId.get(rs.getString(1));
                assertThat(s).isNotNull();
                assertThat(rs.getString(2)).isEqualTo(TaskCatalogue.nameOf(s.getTask()));
                assertThat(rs.getString(3)).isEqualTo(s.getInstruction());
                assertThat(rs.getString(4)).isEqualTo(s.getInputCaption());
                assertThat(rs.getFloat(5)).isEqualTo(s.getScores().getPixelL1());
                assertThat(rs.getLong(6)).isEqualTo(s.getGeneration().getSeed());
                assertThat(rs.getString(7)).isEqualTo(s.getLineage().getPromptTemplateVersion());
                assertThat(rs.getBytes(8)).isEqualTo(ImageRefs.inlineBytes(s.getInputImage()));
                assertThat(rs.getBytes(9)).isEqualTo(ImageRefs.inlineBytes(s.getEditedImage()));
                assertThat(rs.getInt(10)).isEqualTo(s.getInputImage().getWidth());
                n++;
            }
            assertThat(n).isEqualTo(byId.size());
        }
    }

    private void webDatasetEqualsTheTopic(Path dir) throws Exception {
        Map<String, Map<String, byte[]>> members = new HashMap<>();
        for (Path file : files(dir, ".tar")) {
            members.putAll(membersByKey(file));
        }
        assertThat(members.keySet()).isEqualTo(byId.keySet());
        ObjectMapper json = new ObjectMapper();
        for (Map.Entry<String, Map<String, byte[]>> e : members.entrySet()) {
            EditSample s = byId.get(e.getKey());
            Map<String, byte[]> parts = e.getValue();
            assertThat(parts.get("input.png")).isEqualTo(ImageRefs.inlineBytes(s.getInputImage()));
            assertThat(parts.get("edited.png")).isEqualTo(ImageRefs.inlineBytes(s.getEditedImage()));
            assertThat(ImageIO.read(new ByteArrayInputStream(parts.get("edited.png")))).isNotNull();
            assertThat(json.readTree(parts.get("json"))).isEqualTo(json.readTree(SampleJson.bytes(s)));
            assertThat(json.readTree(parts.get("json")).get("task").asText()).isEqualTo(TaskCatalogue.nameOf(s.getTask()));
        }
    }

    private List<byte[]> rawSamples() {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Integer.toString(config.maxRecordBytes() + (1 << 20)));
        List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(config.samplesTopic()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (values.size() < byId.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        assertThat(values).hasSize(byId.size());
        return values;
    }

    private static Map<String, Integer> countsPerTask(Map<String, String> taskOf) {
        Map<String, Integer> counts = new TreeMap<>();
        taskOf.values().forEach(t -> counts.merge(t, 1, Integer::sum));
        return counts;
    }

    private static Map<String, Map<String, byte[]>> membersByKey(Path tarFile) throws Exception {
        Map<String, Map<String, byte[]>> members = new HashMap<>();
        try (InputStream in = Files.newInputStream(tarFile); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                String name = e.getName();
                members.computeIfAbsent(name.substring(0, name.indexOf('.')), k -> new HashMap<>())
                        .put(name.substring(name.indexOf('.') + 1), tar.readAllBytes());
            }
        }
        return members;
    }

    private static Map<Path, List<Path>> byFolder(List<Path> files) {
        Map<Path, List<Path>> perFolder = new TreeMap<>();
        files.forEach(f -> perFolder.computeIfAbsent(f.getParent(), k -> new ArrayList<>()).add(f));
        return perFolder;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    private static int cli(String... args) {
        return EditStreamCommand.commandLine().execute(args);
    }

    private static List<Path> files(Path dir, String suffix) throws Exception {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(p -> p.getFileName().toString().endsWith(suffix) && !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
