package org.editstream.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.apache.avro.generic.IndexedRecord;
import org.editstream.schema.EditSample;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A sample as plain JSON for a WebDataset shard's {@code KEY.json}: the training row ({@link TrainingRows}, the
 * same names and spellings as the Parquet columns) without its image columns, which are the shard's image
 * members; their format, size, hash and URI stay in the {@code *_info} fields. Unions are their value (no Avro
 * type wrappers) and timestamps epoch milliseconds.
 */
public final class SampleJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SampleJson() {
    }

    public static byte[] bytes(EditSample sample) {
        try {
            ObjectNode row = node(TrainingRows.of(sample));
            ParquetRows.IMAGE_COLUMNS.forEach(row::remove);
            return JSON.writeValueAsBytes(row);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a sample always serialises", e);
        }
    }

    public static ObjectNode node(IndexedRecord record) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        for (Schema.Field field : record.getSchema().getFields()) {
            Object value = record.get(field.pos());
            if (value instanceof ByteBuffer) {
                continue;
            }
            out.set(field.name(), value(value));
        }
        return out;
    }

    private static JsonNode value(Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value == null) {
            return f.nullNode();
        }
        if (value instanceof IndexedRecord r) {
            return node(r);
        }
        if (value instanceof CharSequence || value instanceof Enum<?>) {
            return f.textNode(value.toString());
        }
        if (value instanceof Instant t) {
            return f.numberNode(t.toEpochMilli());
        }
        if (value instanceof Integer i) {
            return f.numberNode(i);
        }
        if (value instanceof Long l) {
            return f.numberNode(l);
        }
        if (value instanceof Float x) {
            return f.numberNode(x);
        }
        if (value instanceof Double x) {
            return f.numberNode(x);
        }
        if (value instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (value instanceof Map<?, ?> map) {
            ObjectNode o = f.objectNode();
            map.forEach((k, v) -> o.set(k.toString(), value(v)));
            return o;
        }
        if (value instanceof List<?> list) {
            ArrayNode a = f.arrayNode();
            list.forEach(v -> a.add(value(v)));
            return a;
        }
        throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
    }
}
