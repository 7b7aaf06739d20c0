package org.editstream.avro;

import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Avro binary encoding of our records as the job's Kafka topics carry them: plain, or in the Confluent wire
 * format (magic byte 0, the writer schema's 4-byte registry id, the Avro body) when a schema registry is
 * configured. Decoding resolves the writer's schema against ours, so older and newer writers are read.
 * Not thread-safe: one per thread or operator instance.
 */
public final class AvroCodec<T extends SpecificRecord> {
    static final byte MAGIC = 0;
    static final int HEADER_BYTES = 5;

    private final Schema schema;
    private final SpecificDatumWriter<T> writer;
    private final SpecificDatumReader<T> plainReader;
    private final SchemaRegistryClient registry;
    private final String subject;
    private final Map<Integer, SpecificDatumReader<T>> readers = new HashMap<>();
    private BinaryDecoder decoder;

    private AvroCodec(Class<T> type, SchemaRegistryClient registry, String subject) {
        this.schema = SpecificData.get().getSchema(type);
        this.writer = new SpecificDatumWriter<>(type);
        this.plainReader = new SpecificDatumReader<>(type);
        this.registry = registry;
        this.subject = subject;
    }

    /** Plain Avro binary, the writer's schema being ours. */
    public AvroCodec(Class<T> type) {
        this(type, null, null);
    }

    /** Confluent wire format with schemas registered under {@code <topic>-value} (the default naming). */
    public static <T extends SpecificRecord> AvroCodec<T> forTopic(Class<T> type, SchemaRegistryClient registry, String topic) {
        return registry == null ? new AvroCodec<>(type) : new AvroCodec<>(type, registry, topic + "-value");
    }

    public byte[] encode(T record) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (registry != null) {
            out.write(MAGIC);
            out.writeBytes(ByteBuffer.allocate(4).putInt(registry.register(subject, schema)).array());
        }
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        try {
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * @throws IllegalArgumentException (including {@link SchemaRegistryClient.UnknownSchemaException}) when the
     *         bytes are not such a record
     * @throws SchemaRegistryClient.RegistryUnavailableException when the registry cannot be asked
     */
    public T decode(byte[] bytes) {
        SpecificDatumReader<T> reader = plainReader;
        int offset = 0;
        if (registry != null) {
            if (bytes.length < HEADER_BYTES || bytes[0] != MAGIC) {
                throw new IllegalArgumentException("not in the schema registry wire format (magic byte 0 and a schema id)");
            }
            int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
            reader = readers.get(id);
            if (reader == null) {
                reader = new SpecificDatumReader<>(registry.schema(id), schema);
                readers.put(id, reader);
            }
            offset = HEADER_BYTES;
        }
        decoder = DecoderFactory.get().binaryDecoder(bytes, offset, bytes.length - offset, decoder);
        T record;
        try {
            record = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IllegalArgumentException("trailing bytes after the " + schema.getName());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("not an Avro " + schema.getName() + ": " + e.getMessage(), e);
        }
        return record;
    }
}
