package org.editstream.export;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.avro.AvroParquetReader;
import org.apache.parquet.avro.AvroParquetWriter;
import org.apache.parquet.avro.AvroReadSupport;
import org.apache.parquet.avro.AvroWriteSupport;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.editstream.schema.export.TrainingRow;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parquet files of {@link TrainingRow}s that trainers' readers load as they are. Besides the rows, the footer
 * carries two key-value entries:
 * <ul>
 *   <li>{@code ARROW:schema}, the Arrow schema pyarrow itself would store: with it the {@code task} column reads
 *   as a dictionary of strings, the very type pyarrow gives the {@code task=} partition folders, so a hive dataset
 *   of these files merges (a plain string column and the folders' dictionary do not);</li>
 *   <li>{@code huggingface}, the features of datasets: the image columns are {@code Image} features, so
 *   {@code load_dataset("parquet", ...)} hands back PIL images.</li>
 * </ul>
 * Lists are written in Parquet's standard three-level layout. Free of Flink: the sinks wrap it.
 */
public final class ParquetRows {
    /** The columns that are also hive partitions, read as pyarrow reads partition values. */
    public static final Set<String> PARTITION_COLUMNS = Set.of("task");
    /** Columns holding datasets {@code Image} structs. */
    public static final List<String> IMAGE_COLUMNS = List.of("input_image", "edited_image", "mask");
    /** Row groups this large (images dominate a row): a reader holds one in memory. */
    public static final int ROW_GROUP_BYTES = 64 << 20;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> FOOTER = footer(TrainingRow.getClassSchema());

    private ParquetRows() {
    }

    public static ParquetWriter<TrainingRow> writer(OutputFile out) throws IOException {
        return writer(out, ROW_GROUP_BYTES);
    }

    public static ParquetWriter<TrainingRow> writer(OutputFile out, int rowGroupBytes) throws IOException {
        return AvroParquetWriter.<TrainingRow>builder(out)
                .withSchema(TrainingRow.getClassSchema())
                .withDataModel(SpecificData.getForClass(TrainingRow.class))
                .withConf(configuration())
                .withRowGroupSize((long) rowGroupBytes)
                .withExtraMetaData(FOOTER)
                .build();
    }

    public static ParquetReader<TrainingRow> reader(InputFile in) throws IOException {
        Configuration conf = configuration();
        AvroReadSupport.setAvroReadSchema(conf, TrainingRow.getClassSchema());
        return AvroParquetReader.<TrainingRow>builder(in)
                .withDataModel(SpecificData.getForClass(TrainingRow.class))
                .withConf(conf)
                .build();
    }

    /** The footer's key-value entries. */
    public static Map<String, String> footer() {
        return FOOTER;
    }

    private static Configuration configuration() {
        Configuration conf = new Configuration(false);
        conf.setBoolean(AvroWriteSupport.WRITE_OLD_LIST_STRUCTURE, false);
        return conf;
    }

    private static Map<String, String> footer(Schema rows) {
        Map<String, String> footer = new LinkedHashMap<>();
        String features = features();
        // pyarrow takes a file's schema metadata from the Arrow schema when there is one: datasets finds its
        // features there, so they go in both places
        footer.put("ARROW:schema", arrowSchema(rows, Map.of("huggingface", features)));
        footer.put("huggingface", features);
        return Map.copyOf(footer);
    }

    /** {"info": {"features": {"input_image": {"_type": "Image"}, ...}}}: the other columns are inferred. */
    private static String features() {
        ObjectNode features = JSON.createObjectNode();
        IMAGE_COLUMNS.forEach(c -> features.putObject(c).put("_type", "Image"));
        ObjectNode root = JSON.createObjectNode();
        root.putObject("info").set("features", features);
        return root.toString();
    }

    /** The Arrow schema of the rows as an IPC schema message, base64: what pyarrow writes as ARROW:schema. */
    static String arrowSchema(Schema rows, Map<String, String> metadata) {
        List<Field> fields = new ArrayList<>();
        for (Schema.Field f : rows.getFields()) {
            fields.add(arrow(f.name(), f.schema(), PARTITION_COLUMNS.contains(f.name())));
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            MessageSerializer.serialize(new WriteChannel(new MemoryChannel(bytes)),
                    new org.apache.arrow.vector.types.pojo.Schema(fields, metadata));
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory", e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    private static Field arrow(String name, Schema schema, boolean dictionary) {
        boolean nullable = false;
        if (schema.getType() == Schema.Type.UNION) {
            List<Schema> branches = schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).toList();
            if (branches.size() != 1) {
                throw new IllegalArgumentException(name + ": only unions of null and one type become columns");
            }
            nullable = branches.size() < schema.getTypes().size();
            schema = branches.get(0);
        }
        DictionaryEncoding encoding = dictionary ? new DictionaryEncoding(0, false, new ArrowType.Int(32, true)) : null;
        List<Field> children = null;
        ArrowType type = switch (schema.getType()) {
            case STRING, ENUM -> new ArrowType.Utf8();
            case BYTES -> new ArrowType.Binary();
            case INT -> new ArrowType.Int(32, true);
            case LONG -> schema.getLogicalType() instanceof LogicalTypes.TimestampMillis
                    ? new ArrowType.Timestamp(TimeUnit.MILLISECOND, "UTC") : new ArrowType.Int(64, true);
            case FLOAT -> new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
            case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
            case BOOLEAN -> new ArrowType.Bool();
            case RECORD -> {
                children = schema.getFields().stream().map(f -> arrow(f.name(), f.schema(), false)).toList();
                yield new ArrowType.Struct();
            }
            case ARRAY -> {
                // Parquet's three-level list: its element is named "element" (and is required in Avro arrays)
                children = List.of(arrow("element", schema.getElementType(), false));
                yield new ArrowType.List();
            }
            default -> throw new IllegalArgumentException(name + ": no Arrow column for Avro " + schema.getType());
        };
        return new Field(name, new FieldType(nullable, type, encoding), children);
    }

    /**
     * A channel into memory. {@code Channels.newChannel} gives an interruptible one, which closes itself when its thread
     * is interrupted: Flink interrupts the task threads of a job it restarts, and one interrupted while this class was
     * initialising left it unusable in that JVM (every restart then failed, and a bounded job never ended).
     */
    private static final class MemoryChannel implements WritableByteChannel {
        private final ByteArrayOutputStream out;

        MemoryChannel(ByteArrayOutputStream out) {
            this.out = out;
        }

        @Override
        public int write(ByteBuffer source) {
            int n = source.remaining();
            byte[] chunk = new byte[n];
            source.get(chunk);
            out.write(chunk, 0, n);
            return n;
        }

        @Override
        public boolean isOpen() {
            return true;
        }

        @Override
        public void close() {
        }
    }
}
