package org.editstream.schema;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;
import org.editstream.schema.export.TrainingRow;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The contracts a consumer in another language needs, each as one self-contained {@code .avsc}: every named
 * type it uses (Task, ImageRef, Scores, ...) defined inline at its first use, so avsc, fastavro or any other
 * Avro library parses it alone. The build writes them to {@code avro/} in the jar ({@link #RESOURCE_FOLDER}).
 */
public final class StandaloneSchemas {
    /** Where the files sit on the class path and in the jar. */
    public static final String RESOURCE_FOLDER = "avro";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String JAVA_STRING = "avro.java.string";

    /** Every top-level record by its simple name. */
    public static final Map<String, Schema> TOP_LEVEL = topLevel();

    private StandaloneSchemas() {
    }

    private static Map<String, Schema> topLevel() {
        Map<String, Schema> all = new LinkedHashMap<>();
        all.put("CaptionEvent", CaptionEvent.getClassSchema());
        all.put("EditSample", EditSample.getClassSchema());
        all.put("Rejection", Rejection.getClassSchema());
        all.put("TrainingRow", TrainingRow.getClassSchema());
        return Map.copyOf(all);
    }

    /** The self-contained schema text of a top-level record. */
    public static String text(String name) {
        Schema schema = TOP_LEVEL.get(name);
        if (schema == null) {
            throw new IllegalArgumentException("no top-level schema " + name + "; there are " + TOP_LEVEL.keySet());
        }
        try {
            JsonNode tree = JSON.readTree(schema.toString());
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(withoutJavaProperties(tree)) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException("Avro's own schema text always parses", e);
        }
    }

    /** Drops the Java code generator's string-class hint: {"type": "string", "avro.java.string": "String"} is "string". */
    private static JsonNode withoutJavaProperties(JsonNode node) {
        if (node instanceof ObjectNode object) {
            object.remove(JAVA_STRING);
            if (object.size() == 1 && object.path("type").isTextual() && object.path("type").asText().equals("string")) {
                return object.get("type");
            }
            List<String> names = new ArrayList<>();
            object.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                object.set(name, withoutJavaProperties(object.get(name)));
            }
            return object;
        }
        if (node instanceof ArrayNode array) {
            for (int i = 0; i < array.size(); i++) {
                array.set(i, withoutJavaProperties(array.get(i)));
            }
        }
        return node;
    }

    /** The file the build wrote, as a consumer would read it from the jar. */
    public static String published(String name) throws IOException {
        try (InputStream in = StandaloneSchemas.class.getClassLoader().getResourceAsStream(RESOURCE_FOLDER + "/" + name + ".avsc")) {
            if (in == null) {
                throw new IOException("no " + RESOURCE_FOLDER + "/" + name + ".avsc on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Writes {@code NAME.avsc} for every top-level record into the folder given (the build's class output). */
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: StandaloneSchemas OUTPUT_FOLDER");
        }
        Path folder = Path.of(args[0]);
        Files.createDirectories(folder);
        for (String name : TOP_LEVEL.keySet()) {
            Files.writeString(folder.resolve(name + ".avsc"), text(name), StandardCharsets.UTF_8);
        }
    }
}
