package org.editstream.cli;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.function.Supplier;
import java.util.stream.Stream;

/** What the model benchmarks share: median timings and configs read from a config.json or a manifest. */
final class BenchSupport {
    private BenchSupport() {
    }

    /** Median seconds of {@code runs} calls after {@code warmup} untimed ones. */
    static double median(int runs, int warmup, Supplier<?> body) {
        return median(runs, warmup, 0, body);
    }

    /**
     * Median seconds of {@code runs} calls after untimed ones: at least {@code warmup} of them, and for at least
     * {@code warmupSeconds}, which gives the JVM's compilers time to reach the steady state a long-running job
     * works in (the tiny model's forward measured 29.5 ms after 10 warm-up calls, 22.9 ms after 100).
     */
    static double median(int runs, int warmup, double warmupSeconds, Supplier<?> body) {
        long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
        for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
            body.get();
        }
        double[] seconds = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            body.get();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        return median(seconds);
    }

    /** The middle value (the upper one of an even count), as {@link #median(int, int, Supplier)} reports runs. */
    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /**
     * A diffusers pipeline folder of configs only, for a pipeline with random weights at a released size
     * ({@code WeightSource.RANDOM}): the manifests' configs (sd15-unet.json, sd-vae.json, clip-vit-l14-text-encoder.json),
     * the tiny pipeline's tokenizer and scheduler.
     */
    static Path configsOnlyPipeline(Path manifests, Path tiny, Path folder) throws IOException {
        Files.createDirectories(folder);
        Files.copy(tiny.resolve("model_index.json"), folder.resolve("model_index.json"));
        Files.createSymbolicLink(folder.resolve("tokenizer"), tiny.resolve("tokenizer").toAbsolutePath());
        Files.createSymbolicLink(folder.resolve("scheduler"), tiny.resolve("scheduler").toAbsolutePath());
        writeConfig(manifests.resolve("clip-vit-l14-text-encoder.json"), folder.resolve("text_encoder"));
        writeConfig(manifests.resolve("sd15-unet.json"), folder.resolve("unet"));
        writeConfig(manifests.resolve("sd-vae.json"), folder.resolve("vae"));
        return folder;
    }

    /** Deletes a folder and what it holds; links are deleted, not followed. */
    static void deleteTree(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** A manifest's (or config.json's) config written as {@code folder/config.json}. */
    static JsonNode writeConfig(Path manifest, Path folder) throws IOException {
        JsonNode config = configJson(manifest, "--manifests");
        Files.createDirectories(folder);
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), config);
        return config;
    }

    /** A configuration record from a config.json, or from the {@code config} member of a fixtures manifest. */
    static <T> T config(Path file, Class<T> type, String flag) throws IOException {
        ObjectMapper json = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
        return json.convertValue(configJson(file, flag), type);
    }

    /** The configuration JSON of a config.json, or the {@code config} member of a fixtures manifest, as stored. */
    static JsonNode configJson(Path file, String flag) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no config at " + file + " (" + flag + ")");
        }
        JsonNode node = new ObjectMapper().readTree(file.toFile());
        return node.has("config") ? node.get("config") : node;
    }
}
