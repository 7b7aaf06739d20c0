package org.editstream.produce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.ImageRef;

import java.io.IOException;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Reads captions from a JSONL file, a CSV file (with a header row), or a folder of images, into caption
 * events. Fields: id, caption, image (a path relative to the file, or a URI), task, seed. A line that cannot
 * be read is an error naming the file, the line and what was wrong.
 */
public final class CaptionFiles {
    /** How images named by the file travel: inline bytes, or file:// URIs the job reads. */
    public enum ImageMode { INLINE, URI }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> IMAGE_EXTENSIONS = List.of(".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff");

    private CaptionFiles() {
    }

    public static List<CaptionEvent> read(Path path, ImageMode mode) throws IOException {
        if (!Files.exists(path)) {
            throw new IllegalArgumentException(path + " does not exist");
        }
        if (Files.isDirectory(path)) {
            return readFolder(path, mode);
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            return readJsonl(path, mode);
        }
        if (name.endsWith(".csv")) {
            return readCsv(path, mode);
        }
        throw new IllegalArgumentException(path + ": expected a .jsonl or .csv file, or a folder of images");
    }

    private static List<CaptionEvent> readJsonl(Path file, ImageMode mode) throws IOException {
        List<CaptionEvent> events = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = file + ":" + (i + 1);
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException(where + ": not JSON: " + e.getOriginalMessage());
            }
            if (!node.isObject()) {
                throw new IllegalArgumentException(where + ": expected a JSON object");
            }
            events.add(event(where, file.getParent(), text(node, "id"), text(node, "caption"), text(node, "image"),
                    text(node, "task"), text(node, "seed"), file.getFileName().toString(), mode));
        }
        return events;
    }

    private static List<CaptionEvent> readCsv(Path file, ImageMode mode) throws IOException {
        List<CaptionEvent> events = new ArrayList<>();
        try (Reader reader = Files.newBufferedReader(file);
             CSVParser parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true).build()
                     .parse(reader)) {
            if (!parser.getHeaderNames().contains("caption")) {
                throw new IllegalArgumentException(file + ": the header row has no 'caption' column: " + parser.getHeaderNames());
            }
            for (CSVRecord row : parser) {
                String where = file + ":" + parser.getCurrentLineNumber();
                events.add(event(where, file.getParent(), column(row, "id"), column(row, "caption"), column(row, "image"),
                        column(row, "task"), column(row, "seed"), file.getFileName().toString(), mode));
            }
        }
        return events;
    }

    private static List<CaptionEvent> readFolder(Path folder, ImageMode mode) throws IOException {
        List<CaptionEvent> events = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path image : files.sorted().toList()) {
                String name = image.getFileName().toString();
                String lower = name.toLowerCase(Locale.ROOT);
                if (IMAGE_EXTENSIONS.stream().noneMatch(lower::endsWith)) {
                    continue;
                }
                String stem = name.substring(0, name.lastIndexOf('.'));
                Path sidecar = folder.resolve(stem + ".txt");
                String caption = Files.exists(sidecar) ? Files.readString(sidecar).strip()
                        : "a photo of " + stem.replaceAll("[_-]+", " ").strip();
                events.add(event(image.toString(), folder, stem, caption, name, null, null, folder.getFileName().toString(), mode));
            }
        }
        if (events.isEmpty()) {
            throw new IllegalArgumentException(folder + " holds no images (" + String.join(", ", IMAGE_EXTENSIONS) + ")");
        }
        return events;
    }

    private static CaptionEvent event(String where, Path base, String id, String caption, String image, String task,
                                      String seed, String source, ImageMode mode) throws IOException {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException(where + ": 'id' is missing");
        }
        CaptionEvent.Builder event = CaptionEvent.newBuilder().setId(id).setCaption(caption).setTaskHint(task)
                .setSource(source).setIngestTime(Instant.now());
        if (seed != null && !seed.isBlank()) {
            try {
                event.setSeed(Long.parseLong(seed.strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(where + ": 'seed' must be an integer, got '" + seed + "'");
            }
        }
        if (image != null && !image.isBlank()) {
            event.setImage(imageRef(where, base, image.strip(), mode));
        }
        return event.build();
    }

    private static ImageRef imageRef(String where, Path base, String image, ImageMode mode) throws IOException {
        if (image.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
            return ImageRef.newBuilder().setUri(image).build();
        }
        Path file = base == null ? Path.of(image) : base.resolve(image);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(where + ": image file " + file + " does not exist");
        }
        if (mode == ImageMode.URI) {
            return ImageRef.newBuilder().setUri(file.toAbsolutePath().normalize().toUri().toString()).build();
        }
        return ImageRef.newBuilder().setData(ByteBuffer.wrap(Files.readAllBytes(file))).build();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String column(CSVRecord row, String name) {
        return row.isMapped(name) && row.isSet(name) ? row.get(name) : null;
    }
}
