package org.editstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A model folder in the Hugging Face / diffusers layout: a {@code config.json} read into a configuration
 * record, and weights in safetensors under one of the names those libraries write.
 */
public final class ModelFolder {
    /** Weight file names, in the order they are looked for. */
    public static final List<String> WEIGHT_FILES = List.of("model.safetensors", "diffusion_pytorch_model.safetensors");

    private static final ObjectMapper CONFIG_READER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private ModelFolder() {
    }

    /** The folder's {@code config.json} as a configuration record (snake_case keys, unknown keys ignored). */
    public static <T> T config(Path folder, Class<T> type) {
        return json(requireFolder(folder).resolve("config.json"), type);
    }

    /** A JSON file read as a configuration record (snake_case keys, unknown keys ignored). */
    public static <T> T json(Path file, Class<T> type) {
        if (!Files.isRegularFile(file)) {
            throw new ModelException("missing " + file.getFileName() + " in " + file.getParent());
        }
        try {
            return CONFIG_READER.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + " as a " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** The safetensors weight file of the folder. */
    public static Path weights(Path folder) {
        requireFolder(folder);
        for (String name : WEIGHT_FILES) {
            Path file = folder.resolve(name);
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        List<String> present = list(folder);
        String pickles = present.stream().filter(n -> n.endsWith(".bin") || n.endsWith(".ckpt") || n.endsWith(".pt"))
                .findFirst().map(n -> "; it holds PyTorch pickle weights (" + n + "), which are not read:"
                        + " convert them to safetensors").orElse("");
        throw new ModelException("no weights in " + folder + ": expected one of " + WEIGHT_FILES + pickles
                + " (found " + present + ")");
    }

    /**
     * A model built on a folder's weights in a manager of its own: the weights are read (floating-point ones as
     * {@code dtype}), {@code build} makes the model, every stored tensor but the {@code optional} ones must have been
     * taken, and on any failure the manager (and what it holds) is released.
     */
    public static <T> T load(Path folder, Device device, DataType dtype, Collection<String> optional,
                             BiFunction<NDManager, WeightSet, T> build) {
        NDManager manager = Resident.manager(device);
        try {
            WeightSet weights = WeightSet.load(manager, weights(folder), dtype, UnaryOperator.identity());
            T model = build.apply(manager, weights);
            weights.requireAllUsed(optional);
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** A preprocessor config's float list ({@code image_mean}, {@code image_std}), or {@code fallback} when it is not one of that length. */
    public static float[] floats(JsonNode node, float[] fallback) {
        if (!node.isArray() || node.size() != fallback.length) {
            return fallback;
        }
        float[] v = new float[node.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) node.get(i).asDouble();
        }
        return v;
    }

    private static Path requireFolder(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new ModelException("model folder " + folder + " does not exist or is not a folder");
        }
        return folder;
    }

    private static List<String> list(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new ModelException("cannot list " + folder + ": " + e.getMessage(), e);
        }
    }
}
