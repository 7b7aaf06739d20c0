package org.editstream.job;

import org.apache.avro.generic.GenericRecord;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.editstream.avro.AvroCodec;
import org.editstream.cli.EditStreamCommand;
import org.editstream.export.SampleJson;
import org.editstream.export.ShardVerifier;
import org.editstream.flink.ExportSinks;
import org.editstream.imaging.ImageRefs;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.schema.EditSample;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job writes Parquet and WebDataset beside the samples topic, across a restart; independent readers (DuckDB,
 * parquet-avro, commons-compress) find exactly the topic's samples, each in exactly one file, field for field.
 * Then {@code export} (the bounded one-off job) exports the topic again, and {@code export verify} finds a
 * truncated shard, a duplicated id and a missing id planted in a copy.
 */
class ExportIT {
    @Test
    void exportsAreExactlyTheTopicsSamples(@TempDir Path work) throws Exception {
        Path parquet = work.resolve("parquet");
        Path shards = work.resolve("shards");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("export").transactionalIdPrefix("export").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(400)).checkpointDirectory(work.resolve("cp").toUri().toString())
                    .taskMix(TaskMix.parse("color=2,sketch=1")).restartDrillAfter(5)
                    .export(new JobConfig.Export(parquet.toUri().toString(), shards.toUri().toString(),
                            new ExportSinks.ShardLimits(4, 1L << 30)))
                    .build();
            KafkaTopics.ensure(config, 2, (short) 1);
            int captions = 30;
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (int i = 0; i < captions; i++) {
                    producer.send(TestImages.sceneCaption("x-" + i, i));
                }
                producer.flush();
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
            env.executeAsync("editstream-export").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            Map<String, EditSample> topic = JobOutputs.read(config, captions).samples();
            assertThat(topic).hasSizeGreaterThan(15);
            Set<String> ids = Set.copyOf(topic.values().stream().map(EditSample::getSampleId).toList());

            // every id in exactly one committed file, nothing missing, nothing extra
            for (Path dir : List.of(parquet, shards)) {
                ShardVerifier.Report report = ShardVerifier.verify(dir, ids);
                assertThat(report.problems()).as(dir.toString()).isEmpty();
                assertThat(report.samples()).isEqualTo(ids.size());
            }
            assertThat(files(shards, ".tar")).hasSizeGreaterThan(ids.size() / 4 - 1); // rolled at 4 samples (or checkpoints)
            assertThat(files(parquet, ".parquet")).allMatch(f -> parquet.relativize(f).toString().matches("task=(color|sketch)/date=\\d{4}-\\d\\d-\\d\\d/part-.*\\.parquet"));

            Map<String, EditSample> byId = new HashMap<>();
            topic.values().forEach(s -> byId.put(s.getSampleId(), s));
            parquetEqualsTheTopic(parquet, byId);
            duckDbReadsTheParquet(parquet, byId);
            webDatasetEqualsTheTopic(shards, byId);

            // the one-off export of the same topic, then verify through the command line
            Path exported = work.resolve("exported");
            assertThat(cli("export", "--bootstrap-servers", kafka.bootstrapServers(), "--format", "webdataset",
                    "--out", exported.toString(), "--shard-samples", "5")).isZero();
            assertThat(cli("export", "verify", exported.toString(), "--bootstrap-servers", kafka.bootstrapServers())).isZero();
            webDatasetEqualsTheTopic(exported, byId);

            plantedFaultsAreFound(exported, kafka.bootstrapServers(), work.resolve("broken"));
        }
    }

    private static void parquetEqualsTheTopic(Path dir, Map<String, EditSample> byId) throws Exception {
        // field for field: both records encode to the same Avro bytes (the reader may hand back Utf8 map keys,
        // which equals() would tell apart from String ones), with each map's entries in one order: Avro maps have
        // none, and two readers' hash maps iterate differently
        AvroCodec<EditSample> avro = new AvroCodec<>(EditSample.class);
        int n = 0;
        for (Path file : files(dir, ".parquet")) {
            try (ParquetReader<EditSample> reader = AvroParquetReader.<EditSample>builder(new LocalInputFile(file)).build()) {
                for (EditSample s = reader.read(); s != null; s = reader.read()) {
                    assertThat(avro.encode(sortedMaps(s))).as(s.getSampleId()).isEqualTo(avro.encode(sortedMaps(byId.get(s.getSampleId()))));
                    n++;
                }
            }
        }
        assertThat(n).isEqualTo(byId.size());
    }

    private static EditSample sortedMaps(EditSample sample) {
        java.util.Map<String, String> sorted = new java.util.TreeMap<>();
        sample.getGeneration().getParameters().forEach((k, v) -> sorted.put(String.valueOf(k), String.valueOf(v)));
        EditSample copy = EditSample.newBuilder(sample).build();
        copy.getGeneration().setParameters(new java.util.LinkedHashMap<>(sorted));
        return copy;
    }

    private static void duckDbReadsTheParquet(Path dir, Map<String, EditSample> byId) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select sampleId, task, instruction, inputCaption, scores.pixelL1, generation.seed, "
                     + "lineage.promptTemplateVersion, inputImage.data, editedImage.data from read_parquet('" + dir
                     + "/**/*.parquet', hive_partitioning = false)")) {
            int n = 0;
            while (rs.next()) {
                EditSample s = byId.get(rs.getString(1));
                assertThat(s).isNotNull();
                assertThat(rs.getString(2)).isEqualTo(s.getTask().name());
                assertThat(rs.getString(3)).isEqualTo(s.getInstruction());
                assertThat(rs.getString(4)).isEqualTo(s.getInputCaption());
                assertThat(rs.getFloat(5)).isEqualTo(s.getScores().getPixelL1());
                assertThat(rs.getLong(6)).isEqualTo(s.getGeneration().getSeed());
                assertThat(rs.getString(7)).isEqualTo(s.getLineage().getPromptTemplateVersion());
                assertThat(rs.getBytes(8)).isEqualTo(ImageRefs.inlineBytes(s.getInputImage()));
                assertThat(rs.getBytes(9)).isEqualTo(ImageRefs.inlineBytes(s.getEditedImage()));
                n++;
            }
            assertThat(n).isEqualTo(byId.size());
        }
    }

    private static void webDatasetEqualsTheTopic(Path dir, Map<String, EditSample> byId) throws Exception {
        Map<String, Map<String, byte[]>> members = new HashMap<>();
        for (Path file : files(dir, ".tar")) {
            try (InputStream in = Files.newInputStream(file); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
                for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                    String name = e.getName();
                    members.computeIfAbsent(name.substring(0, name.indexOf('.')), k -> new HashMap<>())
                            .put(name.substring(name.indexOf('.') + 1), tar.readAllBytes());
                }
            }
        }
        assertThat(members.keySet()).isEqualTo(byId.keySet());
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        members.forEach((key, parts) -> {
            EditSample s = byId.get(key);
            assertThat(parts.get("input.png")).isEqualTo(ImageRefs.inlineBytes(s.getInputImage()));
            assertThat(parts.get("edited.png")).isEqualTo(ImageRefs.inlineBytes(s.getEditedImage()));
            try {
                assertThat(ImageIO.read(new ByteArrayInputStream(parts.get("edited.png")))).isNotNull();
                assertThat(json.readTree(parts.get("json"))).isEqualTo(json.readTree(SampleJson.bytes(s)));
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
    }

    private static void plantedFaultsAreFound(Path good, String bootstrap, Path broken) throws Exception {
        copy(good, broken);
        List<Path> tars = files(broken, ".tar");
        assertThat(tars).hasSizeGreaterThanOrEqualTo(3);
        Path truncated = tars.get(0);
        Files.write(truncated, java.util.Arrays.copyOf(Files.readAllBytes(truncated), (int) Files.size(truncated) / 2));
        Files.copy(tars.get(1), tars.get(1).resolveSibling("shard-copy.tar"));
        Files.delete(tars.get(2));
        StringWriter out = new StringWriter();
        int code = EditStreamCommand.commandLine().setOut(new PrintWriter(out))
                .execute("export", "verify", broken.toString(), "--bootstrap-servers", bootstrap);
        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .contains(broken.relativize(truncated) + ": truncated or unreadable tar")
                .contains("appears twice")
                .containsPattern("PROBLEM: \\d+ sample ids of the topic are in no file");
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
