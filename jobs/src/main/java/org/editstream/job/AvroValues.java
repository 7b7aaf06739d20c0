package org.editstream.job;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.editstream.avro.AvroCodec;
import org.editstream.avro.SchemaRegistryClient;
import org.apache.avro.specific.SpecificRecord;

import java.time.Duration;

/**
 * Kafka record values of a sink or of a source of our own topics: plain Avro, or the schema registry's wire
 * format when a registry is configured.
 */
final class AvroValues<T extends SpecificRecord> implements SerializationSchema<T>, DeserializationSchema<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final String schemaRegistryUrl;
    private final String topic;
    private transient AvroCodec<T> codec;

    AvroValues(Class<T> type, String schemaRegistryUrl, String topic) {
        this.type = type;
        this.schemaRegistryUrl = schemaRegistryUrl;
        this.topic = topic;
    }

    @Override
    public void open(SerializationSchema.InitializationContext context) {
        openCodec();
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        openCodec();
    }

    private void openCodec() {
        SchemaRegistryClient registry = schemaRegistryUrl == null ? null
                : new SchemaRegistryClient(schemaRegistryUrl, Duration.ofSeconds(10));
        codec = AvroCodec.forTopic(type, registry, topic);
    }

    @Override
    public byte[] serialize(T element) {
        return codec.encode(element);
    }

    @Override
    public T deserialize(byte[] message) {
        return codec.decode(message);
    }

    @Override
    public boolean isEndOfStream(T next) {
        return false;
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
