package org.editstream.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.flink.ImageStoreSettings;
import org.editstream.imaging.ImageUriPolicy;
import org.editstream.avro.AvroCodec;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.perception.Tessdata;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A corpus of bad inputs, Avro and raw bytes, goes through the real job on a real broker: each comes out as a
 * rejection with its own reason, the good captions around them still become samples, and the job never
 * restarts (its restart strategy is off here, so one exception from input would fail it).
 */
class BadInputIT {
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
    void everyBadInputGetsItsOwnReasonAndTheJobKeepsGoing(@TempDir Path images, @TempDir Path checkpoints)
            throws Exception {
        Path goodFile = Files.write(images.resolve("good.png"), TestImages.png(TestImages.scene(80, 60, 7)));
        JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                .captionsTopic("bad-captions").samplesTopic("bad-samples").rejectionsTopic("bad-rejections")
                .groupId("bad").transactionalIdPrefix("bad").bounded(true).parallelism(2)
                .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                .taskMix(TaskMix.parse("color=1"))
                .imageStore(new ImageStoreSettings(ImageUriPolicy.filesUnder(List.of(images)),
                        32 * 1024 * 1024, null, Duration.ofSeconds(5)))
                .build();
        KafkaTopics.ensure(config, 2, (short) 1);

        Map<String, Reason> expected = new LinkedHashMap<>();
        List<String> good = new ArrayList<>();
        AvroCodec<CaptionEvent> codec = new AvroCodec<>(CaptionEvent.class);
        try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                config.maxRecordBytes(), Map.of())) {
            good.add(sendGood(producer, "good-first", inline(TestImages.png(TestImages.scene(80, 60, 1)))));

            // raw bytes straight onto the topic
            producer.sendRaw(key("raw-text"), "this is not an Avro caption".getBytes(StandardCharsets.UTF_8));
            expected.put("raw-text", Reason.UNDECODABLE_RECORD);
            byte[] valid = codec.encode(caption("raw-x", "a red house").build());
            producer.sendRaw(key("raw-truncated"), Arrays.copyOf(valid, valid.length / 2));
            expected.put("raw-truncated", Reason.UNDECODABLE_RECORD);
            byte[] trailing = Arrays.copyOf(valid, valid.length + 3);
            producer.sendRaw(key("raw-trailing"), trailing);
            expected.put("raw-trailing", Reason.UNDECODABLE_RECORD);
            producer.sendRaw(key("raw-tombstone"), null);
            expected.put("raw-tombstone", Reason.UNDECODABLE_RECORD);
            producer.sendRaw(key("raw-empty"), new byte[0]);
            expected.put("raw-empty", Reason.UNDECODABLE_RECORD);
            // a caption event without an id, keyed by nothing either: traced by its topic position
            producer.sendRaw(null, codec.encode(CaptionEvent.newBuilder().setCaption("a boat").build()));

            // caption events with one thing wrong each
            send(producer, expected, caption("blank", "   \t "), Reason.MISSING_CAPTION);
            send(producer, expected, caption("long", "a dog ".repeat(400)), Reason.CAPTION_TOO_LONG);
            send(producer, expected, caption("control", "a cat\u0007 on a mat"), Reason.CAPTION_CONTROL_CHARACTERS);
            send(producer, expected, caption("hint-unknown", "a cat").setTaskHint("teleport"), Reason.UNKNOWN_TASK_HINT);
            send(producer, expected, caption("hint-disabled", "a cat").setTaskHint("depth")
                    .setImage(inline(TestImages.png(TestImages.scene(80, 60, 2)))), Reason.TASK_DISABLED);
            send(producer, expected, caption("seed-negative", "a cat").setSeed(-5L), Reason.BAD_SEED);
            send(producer, expected, caption("seed-huge", "a cat").setSeed(1L << 40), Reason.BAD_SEED);
            send(producer, expected, caption("no-image", "a cat"), Reason.NO_INPUT_IMAGE);
            send(producer, expected, caption("image-garbage", "a cat")
                    .setImage(inline("not an image at all".getBytes(StandardCharsets.UTF_8))), Reason.IMAGE_UNDECODABLE);
            send(producer, expected, caption("image-bomb", "a cat")
                    .setImage(inline(claimSize(TestImages.png(TestImages.scene(80, 60, 3)), 60_000, 60_000))),
                    Reason.IMAGE_TOO_LARGE);
            send(producer, expected, caption("uri-outside-roots", "a cat")
                    .setImage(uri("file:///etc/hostname")), Reason.IMAGE_URI_NOT_ALLOWED);
            send(producer, expected, caption("uri-escapes-root", "a cat")
                    .setImage(uri(images.toUri() + "../../etc/hostname")), Reason.IMAGE_URI_NOT_ALLOWED);
            send(producer, expected, caption("uri-loopback", "a cat")
                    .setImage(uri("http://127.0.0.1:9/cat.png")), Reason.IMAGE_URI_NOT_ALLOWED);
            send(producer, expected, caption("uri-scheme", "a cat")
                    .setImage(uri("ftp://example.org/cat.png")), Reason.IMAGE_URI_NOT_ALLOWED);
            send(producer, expected, caption("uri-missing", "a cat")
                    .setImage(uri(images.resolve("missing.png").toUri().toString())), Reason.IMAGE_URI_UNREACHABLE);
            boolean ocr = Tessdata.find(null).isPresent();
            send(producer, expected, caption("no-text", "a plain wall").setTaskHint("text")
                    .setImage(inline(TestImages.png(TestImages.scene(80, 60, 4)))),
                    ocr ? Reason.NO_TEXT_FOUND : Reason.TASK_DISABLED);

            // a second caption with an id already seen
            good.add(sendGood(producer, "good-twice", inline(TestImages.png(TestImages.scene(80, 60, 5)))));
            producer.send(caption("good-twice", "a second caption under a used id")
                    .setImage(inline(TestImages.png(TestImages.scene(80, 60, 6)))).build());

            good.add(sendGood(producer, "good-by-uri", uri(goodFile.toUri().toString())));
            good.add(sendGood(producer, "good-last", inline(TestImages.png(TestImages.scene(80, 60, 8)))));
            producer.flush();
        }

        Configuration flink = FlinkSettings.of(config);
        flink.setString("restart-strategy.type", "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, flink);
        EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
        env.executeAsync("editstream-bad-input").getJobExecutionResult().get(5, TimeUnit.MINUTES);

        Map<String, List<Reason>> rejected = new LinkedHashMap<>();
        Map<String, Integer> samples = new LinkedHashMap<>();
        List<Rejection> all = new ArrayList<>();
        int total = expected.size() + good.size() + 2; // + the id-less event + the second "good-twice"
        try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                config.rejectionsTopic(), config.maxRecordBytes(), Map.of())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline && all.size() + samples.values().stream().mapToInt(i -> i).sum() < total) {
                consumer.poll(Duration.ofMillis(500),
                        (EditSample s) -> samples.merge(s.getCaptionId(), 1, Integer::sum),
                        (Rejection r) -> {
                            all.add(r);
                            rejected.computeIfAbsent(r.getCaptionId(), k -> new ArrayList<>()).add(r.getReason());
                        });
            }
        }

        expected.forEach((id, reason) -> assertThat(rejected.get(id)).as("rejections of " + id).containsExactly(reason));
        assertThat(all).filteredOn(r -> r.getReason() == Reason.MISSING_ID).singleElement()
                .satisfies(r -> assertThat(r.getCaptionId()).startsWith(config.captionsTopic() + "-"));
        assertThat(rejected.get("good-twice")).containsExactly(Reason.DUPLICATE_CAPTION);
        assertThat(samples).containsOnlyKeys(good).allSatisfy((id, count) -> assertThat(count).isEqualTo(1));
        assertThat(all).allSatisfy(r -> assertThat(r.getDetail()).isNotBlank());
        assertThat(all).hasSize(expected.size() + 2);
    }

    private static String sendGood(CaptionProducer producer, String id, ImageRef image) {
        producer.send(caption(id, "a test scene called " + id).setImage(image).build());
        return id;
    }

    private static void send(CaptionProducer producer, Map<String, Reason> expected, CaptionEvent.Builder event,
                             Reason reason) {
        producer.send(event.build());
        expected.put(event.getId(), reason);
    }

    private static CaptionEvent.Builder caption(String id, String text) {
        return CaptionEvent.newBuilder().setId(id).setCaption(text);
    }

    private static ImageRef inline(byte[] bytes) {
        return ImageRef.newBuilder().setData(ByteBuffer.wrap(bytes)).build();
    }

    private static ImageRef uri(String uri) {
        return ImageRef.newBuilder().setUri(uri).build();
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }

    /** A PNG whose header claims another size (with a valid checksum): a decompression bomb's calling card. */
    private static byte[] claimSize(byte[] png, int width, int height) {
        byte[] out = png.clone();
        ByteBuffer.wrap(out, 16, 8).putInt(width).putInt(height); // IHDR data follows 8 signature + 8 chunk bytes
        CRC32 crc = new CRC32();
        crc.update(out, 12, 4 + 13); // chunk type and data
        ByteBuffer.wrap(out, 29, 4).putInt((int) crc.getValue());
        return out;
    }
}
