package org.editstream.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.editstream.avro.AvroCodec;
import org.editstream.avro.SchemaRegistryClient;
import org.editstream.schema.EditSample;
import org.editstream.schema.Rejection;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Reads the samples and rejections topics from the beginning with {@code read_committed}, as a training
 * consumer does: only records of committed transactions are seen.
 */
public final class OutputConsumer implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String samplesTopic;
    private final AvroCodec<EditSample> samples;
    private final AvroCodec<Rejection> rejections;

    public OutputConsumer(String bootstrapServers, String samplesTopic, String rejectionsTopic, int maxRecordBytes,
                          Map<String, String> extra) {
        this(bootstrapServers, samplesTopic, rejectionsTopic, maxRecordBytes, extra, null);
    }

    /** @param registry schema registry whose wire format the topics carry, or null for plain Avro */
    public OutputConsumer(String bootstrapServers, String samplesTopic, String rejectionsTopic, int maxRecordBytes,
                          Map<String, String> extra, SchemaRegistryClient registry) {
        this.samples = AvroCodec.forTopic(EditSample.class, registry, samplesTopic);
        this.rejections = AvroCodec.forTopic(Rejection.class, registry, rejectionsTopic);
        Properties p = new Properties();
        p.putAll(extra);
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("group.id", "editstream-reader-" + UUID.randomUUID());
        p.setProperty("isolation.level", "read_committed");
        p.setProperty("auto.offset.reset", "earliest");
        p.setProperty("enable.auto.commit", "false");
        p.setProperty("max.partition.fetch.bytes", Integer.toString(maxRecordBytes + 1024 * 1024));
        p.setProperty("fetch.max.bytes", Integer.toString(4 * maxRecordBytes));
        this.consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.samplesTopic = samplesTopic;
        consumer.subscribe(List.of(samplesTopic, rejectionsTopic));
    }

    /** Polls once and hands each record to the matching callback; returns how many records came. */
    public int poll(Duration timeout, Consumer<EditSample> onSample, Consumer<Rejection> onRejection) {
        int n = 0;
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(timeout)) {
            if (record.topic().equals(samplesTopic)) {
                onSample.accept(samples.decode(record.value()));
            } else {
                onRejection.accept(rejections.decode(record.value()));
            }
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
