package org.editstream.avro;

import org.apache.avro.Schema;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Avro binary encoding of our records as the job's Kafka topics carry them: plain, or in the Confluent wire
 * format (magic byte 0, the writer schema's 4-byte registry id, the Avro body) when a schema registry is
 * configured. Decoding resolves the writer's schema against ours, so older and newer writers are read.
 * Not thread-safe: one per thread or operator instance.
 *
 * <p>Decoding is strict where Avro is lenient: a string that is not valid UTF-8 is refused
 * ({@link InvalidUtf8Exception}) instead of becoming U+FFFD characters, and a string or bytes field that declares
 * more than {@link #MAX_DECLARED_LENGTH} bytes is refused before anything is allocated for it
 * ({@link DeclaredLengthException}; Avro's own limits, which this class sets unless the JVM was started with them).
 */
public final class AvroCodec<T extends SpecificRecord> {
    static final byte MAGIC = 0;
    static final int HEADER_BYTES = 5;
    /** The longest string or bytes field decoded: above the job's record limit, far below what a hostile length asks for. */
    public static final int MAX_DECLARED_LENGTH = 64 << 20;

    static {
        for (String property : new String[] {SystemLimitException.MAX_STRING_LENGTH_PROPERTY,
                SystemLimitException.MAX_BYTES_LENGTH_PROPERTY}) {
            if (System.getProperty(property) == null) {
                System.setProperty(property, Integer.toString(MAX_DECLARED_LENGTH));
            }
        }
        // Avro reads the properties once, when it first checks a length, which other Avro users in this JVM (Flink's
        // serializers) may have done already: have it read them again
        try {
            java.lang.reflect.Method reset = SystemLimitException.class.getDeclaredMethod("resetLimits");
            reset.setAccessible(true);
            reset.invoke(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // an Avro without it reads the properties on first use only; they are set above
        }
    }

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
        this.plainReader = new StrictReader<>(schema, schema);
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
                throw new IllegalArgumentException("not in the schema registry wire format (magic byte 0 and a schema id): "
                        + "plain Avro is read without a schema registry");
            }
            int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
            reader = readers.get(id);
            if (reader == null) {
                reader = new StrictReader<>(registry.schema(id), schema);
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
        } catch (IOException | RuntimeException e) {
            if (registry == null && looksLikeRegistryWireFormat(bytes)) {
                throw new IllegalArgumentException("not a plain Avro " + schema.getName() + ": it starts like the schema "
                        + "registry wire format (magic byte 0, schema id " + ByteBuffer.wrap(bytes, 1, 4).getInt()
                        + "), which is read with a schema registry configured", e);
            }
            if (e instanceof SystemLimitException || e instanceof UnsupportedOperationException) {
                // Avro's length checks: over the configured limit, or over what a Java array can hold
                throw new DeclaredLengthException("a field of this " + schema.getName() + " declares more than "
                        + MAX_DECLARED_LENGTH + " bytes: " + e.getMessage(), e);
            }
            if (e instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalArgumentException("not an Avro " + schema.getName() + ": " + e.getMessage(), e);
        }
        return record;
    }

    /** Magic byte 0 and a small positive schema id: what a plain record of ours, whose first field is a non-empty string, never is. */
    private static boolean looksLikeRegistryWireFormat(byte[] bytes) {
        return bytes.length > HEADER_BYTES && bytes[0] == MAGIC && ByteBuffer.wrap(bytes, 1, 4).getInt() > 0;
    }

    /** A string field whose bytes are not UTF-8. */
    public static final class InvalidUtf8Exception extends IllegalArgumentException {
        InvalidUtf8Exception(String message) {
            super(message);
        }
    }

    /** A string or bytes field that declares a length over {@link #MAX_DECLARED_LENGTH}. */
    public static final class DeclaredLengthException extends IllegalArgumentException {
        DeclaredLengthException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Avro's reader, decoding every string strictly as UTF-8. The generated classes' own decoders (custom coders) and
     * Avro's fast reader read strings leniently, past this reader, so both are turned off for it.
     */
    private static final class StrictReader<T> extends SpecificDatumReader<T> {
        StrictReader(Schema writer, Schema reader) {
            super(writer, reader, withoutCustomCoders());
        }

        private static SpecificData withoutCustomCoders() {
            SpecificData data = new SpecificData(StrictReader.class.getClassLoader());
            data.setCustomCoders(false);
            data.setFastReaderEnabled(false); // the fast reader, too, reads strings past this class
            return data;
        }

        @Override
        protected Object readString(Object old, Schema expected, Decoder in) throws IOException {
            Utf8 raw = in.readString(old instanceof Utf8 u ? u : null);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(raw.getBytes(), 0, raw.getByteLength())).toString();
            } catch (CharacterCodingException e) {
                throw new InvalidUtf8Exception("a string of " + raw.getByteLength() + " bytes is not valid UTF-8 ("
                        + e.getMessage() + ")");
            }
            // String for values and map keys alike: the schemas are generated with stringType String, and the
            // generated decoders hand back String keys too (a Utf8 key would hash, and iterate, differently)
            return text;
        }

        /** Maps sized as the generated classes' decoders size them, so they iterate, and re-encode, alike. */
        @Override
        @SuppressWarnings("unchecked")
        protected Object newMap(Object old, int size) {
            if (old instanceof java.util.Map<?, ?> map) {
                map.clear();
                return map;
            }
            return new java.util.HashMap<>((size * 4) / 3 + 1);
        }
    }
}
