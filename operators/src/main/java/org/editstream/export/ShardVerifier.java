package org.editstream.export;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.io.LocalInputFile;
import org.editstream.schema.export.TrainingRow;

import javax.imageio.ImageIO;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Checks an export folder the way a training run would meet it: every Parquet file and WebDataset shard opens
 * and reads to its end, every shard sample has its JSON and its decodable images, no sample id appears twice,
 * and (given the topic's ids) none is missing and none is extra. Files Flink has not committed yet (hidden
 * in-progress files) are counted, not read.
 */
public final class ShardVerifier {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TAR_BLOCK = 512;

    /** What a scan found; {@link #ok()} when nothing is wrong. */
    public record Report(int files, int uncommitted, Map<String, Integer> samplesPerTask, Set<String> ids,
                         List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }

        public int samples() {
            return samplesPerTask.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    private final Map<String, Integer> perTask = new TreeMap<>();
    private final Map<String, String> whereSeen = new HashMap<>();
    private final List<String> problems = new ArrayList<>();
    private int files;
    private int uncommitted;

    private ShardVerifier() {
    }

    /** @param expectedIds the samples topic's ids, or null to skip the missing/extra check */
    public static Report verify(Path folder, Set<String> expectedIds) throws IOException {
        ShardVerifier v = new ShardVerifier();
        if (!Files.isDirectory(folder)) {
            throw new IOException("no export folder at " + folder);
        }
        List<Path> all;
        try (Stream<Path> walk = Files.walk(folder)) {
            all = walk.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path file : all) {
            String name = file.getFileName().toString();
            if (name.startsWith(".")) {
                v.uncommitted++;
            } else if (name.endsWith(".parquet")) {
                v.files++;
                v.parquet(folder.relativize(file).toString(), file);
            } else if (name.endsWith(".tar")) {
                v.files++;
                v.tar(folder.relativize(file).toString(), file);
            }
        }
        if (expectedIds != null) {
            Set<String> missing = new TreeSet<>(expectedIds);
            missing.removeAll(v.whereSeen.keySet());
            Set<String> extra = new TreeSet<>(v.whereSeen.keySet());
            extra.removeAll(expectedIds);
            if (!missing.isEmpty()) {
                v.problems.add(missing.size() + " sample ids of the topic are in no file, e.g. " + first(missing));
            }
            if (!extra.isEmpty()) {
                v.problems.add(extra.size() + " sample ids in the files are not on the topic, e.g. " + first(extra));
            }
        }
        return new Report(v.files, v.uncommitted, new LinkedHashMap<>(v.perTask), Set.copyOf(v.whereSeen.keySet()),
                List.copyOf(v.problems));
    }

    private void parquet(String name, Path file) {
        try (ParquetReader<TrainingRow> reader = ParquetRows.reader(new LocalInputFile(file))) {
            for (TrainingRow r = reader.read(); r != null; r = reader.read()) {
                seen(r.getSampleId(), r.getTask(), name);
            }
        } catch (IOException | RuntimeException e) {
            problems.add(name + ": cannot be read as Parquet: " + e.getMessage());
        }
    }

    private void tar(String name, Path file) {
        Map<String, Map<String, byte[]>> members = new LinkedHashMap<>();
        try (InputStream in = Files.newInputStream(file); TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                byte[] bytes = tar.readAllBytes();
                if (bytes.length != e.getSize()) {
                    throw new IOException("member " + e.getName() + " is cut short");
                }
                int dot = e.getName().indexOf('.');
                String key = dot < 0 ? e.getName() : e.getName().substring(0, dot);
                members.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(dot < 0 ? "" : e.getName().substring(dot + 1), bytes);
            }
            if (!endsWithEndOfArchive(file)) {
                throw new IOException("the archive has no end marker (truncated)");
            }
        } catch (IOException | RuntimeException e) {
            problems.add(name + ": truncated or unreadable tar: " + e.getMessage());
            return;
        }
        members.forEach((key, parts) -> sample(name, key, parts));
    }

    private void sample(String file, String key, Map<String, byte[]> parts) {
        byte[] json = parts.get("json");
        if (json == null) {
            problems.add(file + ": sample " + key + " has no " + key + ".json");
            return;
        }
        JsonNode meta;
        try {
            meta = JSON.readTree(json);
        } catch (IOException e) {
            problems.add(file + ": " + key + ".json is not JSON");
            return;
        }
        for (String role : List.of(WebDatasetShard.INPUT, WebDatasetShard.EDITED)) {
            boolean byUri = meta.path(role + "_image_info").path("uri").isTextual();
            byte[] image = parts.entrySet().stream().filter(p -> p.getKey().startsWith(role + ".")).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
            if (image == null && !byUri) {
                problems.add(file + ": sample " + key + " has no " + role + " image");
            } else if (image != null && !decodes(image)) {
                problems.add(file + ": the " + role + " image of " + key + " does not decode");
            }
        }
        seen(key, meta.path("task").asText(), file);
    }

    private void seen(String id, String task, String file) {
        String before = whereSeen.putIfAbsent(id, file);
        if (before != null) {
            problems.add("sample " + id + " appears twice: in " + before + " and in " + file);
            return;
        }
        perTask.merge(task, 1, Integer::sum);
    }

    private static boolean decodes(byte[] image) {
        try {
            return ImageIO.read(new ByteArrayInputStream(image)) != null;
        } catch (IOException e) {
            return false;
        }
    }

    /** A finished tar is whole blocks ending in (at least) two zero blocks. */
    private static boolean endsWithEndOfArchive(Path file) throws IOException {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            if (size < 2L * TAR_BLOCK || size % TAR_BLOCK != 0) {
                return false;
            }
            byte[] tail = new byte[2 * TAR_BLOCK];
            raf.seek(size - tail.length);
            raf.readFully(tail);
            for (byte b : tail) {
                if (b != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private static String first(Set<String> ids) {
        return ids.stream().limit(3).toList().toString();
    }
}
