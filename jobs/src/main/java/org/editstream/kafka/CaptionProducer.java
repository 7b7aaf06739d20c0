package org.editstream.kafka;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.editstream.avro.AvroCodec;
import org.editstream.avro.SchemaRegistryClient;
import org.editstream.schema.CaptionEvent;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

/** Sends caption events (Avro, keyed by id) to the captions topic; also raw bytes, for bad-input drills. */
public final class CaptionProducer implements AutoCloseable {
    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final AvroCodec<CaptionEvent> codec;

    public CaptionProducer(String bootstrapServers, String topic, int maxRecordBytes, Map<String, String> extra) {
        this(bootstrapServers, topic, maxRecordBytes, extra, null);
    }

    /** @param registry schema registry whose wire format to write, or null for plain Avro */
    public CaptionProducer(String bootstrapServers, String topic, int maxRecordBytes, Map<String, String> extra,
                           SchemaRegistryClient registry) {
        this.codec = AvroCodec.forTopic(CaptionEvent.class, registry, topic);
        Properties p = new Properties();
        p.putAll(extra);
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("acks", "all");
        p.setProperty("enable.idempotence", "true");
        p.setProperty("max.request.size", Integer.toString(maxRecordBytes));
        p.setProperty("linger.ms", "5");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = topic;
    }

    public void send(CaptionEvent event) {
        byte[] key = event.getId() == null ? null : event.getId().getBytes(StandardCharsets.UTF_8);
        sendRaw(key, codec.encode(event));
    }

    public void sendRaw(byte[] key, byte[] value) {
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error != null) {
                throw new IllegalStateException("could not send a caption to " + topic + ": " + error, error);
            }
        });
    }

    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
