package org.editstream.job;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.kafka.CaptionProducer;
import org.editstream.kafka.OutputConsumer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The job with a schema registry: captions, samples and rejections all travel in its wire format. */
class SchemaRegistryIT {
    @Test
    void theJobReadsAndWritesTheRegistryWireFormat(@TempDir Path checkpoints) throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null);
             InProcessSchemaRegistry registry = new InProcessSchemaRegistry()) {
            JobConfig config = JobConfig.builder(kafka.bootstrapServers()).schemaRegistryUrl(registry.url())
                    .groupId("sr").transactionalIdPrefix("sr").bounded(true).parallelism(1)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1")).build();
            KafkaTopics.ensure(config, 1, (short) 1);

            // a producer with an older, smaller schema: its records resolve against ours through the registry
            Schema minimal = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"CaptionEvent\","
                    + "\"namespace\":\"org.editstream.schema\",\"fields\":[{\"name\":\"id\",\"type\":[\"null\",\"string\"],"
                    + "\"default\":null},{\"name\":\"caption\",\"type\":[\"null\",\"string\"],\"default\":null}]}");
            int minimalId = registry.put(minimal.toString());
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of(), config.schemaRegistry())) {
                for (int i = 0; i < 5; i++) {
                    producer.send(CaptionEvent.newBuilder().setId("sr-" + i).setCaption("a scene " + i)
                            .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(
                                    TestImages.png(TestImages.scene(64, 48, i)))).build()).build());
                }
                producer.sendRaw(key("old-producer"), framed(minimalId, minimal,
                        new GenericRecordBuilder(minimal).set("id", "old-producer").set("caption", "a boat").build()));
                producer.sendRaw(key("unknown-id"), framed(4242, minimal,
                        new GenericRecordBuilder(minimal).set("id", "unknown-id").set("caption", "a boat").build()));
                producer.sendRaw(key("not-framed"), "plain bytes".getBytes(StandardCharsets.UTF_8));
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, FlinkSettings.of(config));
            EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
            env.executeAsync("editstream-registry").getJobExecutionResult().get(5, TimeUnit.MINUTES);

            Map<String, Integer> samples = new HashMap<>();
            Map<String, Reason> rejections = new HashMap<>();
            try (OutputConsumer consumer = new OutputConsumer(config.bootstrapServers(), config.samplesTopic(),
                    config.rejectionsTopic(), config.maxRecordBytes(), Map.of(), config.schemaRegistry())) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < deadline && samples.size() + rejections.size() < 8) {
                    consumer.poll(Duration.ofMillis(500), (EditSample s) -> samples.merge(s.getCaptionId(), 1, Integer::sum),
                            (Rejection r) -> rejections.put(r.getCaptionId(), r.getReason()));
                }
            }
            assertThat(samples).containsOnlyKeys("sr-0", "sr-1", "sr-2", "sr-3", "sr-4");
            assertThat(rejections).containsEntry("old-producer", Reason.NO_INPUT_IMAGE)
                    .containsEntry("unknown-id", Reason.UNDECODABLE_RECORD)
                    .containsEntry("not-framed", Reason.UNDECODABLE_RECORD).hasSize(3);
            assertThat(registry.subjects).contains(config.captionsTopic() + "-value", config.samplesTopic() + "-value",
                    config.rejectionsTopic() + "-value");
        }
    }

    private static byte[] framed(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }
}
