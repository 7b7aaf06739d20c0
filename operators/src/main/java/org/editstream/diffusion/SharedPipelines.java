package org.editstream.diffusion;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pipelines loaded once per JVM and shared by every operator instance and request in it: a TaskManager with
 * several slots holds one copy of the weights. Pipelines are safe for concurrent requests (weights are
 * read-only; each request computes in its own memory scopes). They live as long as this class's classloader: the
 * JVM, or on a Flink cluster the job's classloader on a TaskManager, which the job's restarts there keep (their weights
 * are {@link org.editstream.models.Resident}: released with that classloader).
 */
public final class SharedPipelines {
    private record Key(Path folder, Path unet, String device, DataType dtype) {
    }

    private static final Map<Key, StableDiffusion> PIPELINES = new ConcurrentHashMap<>();

    private SharedPipelines() {
    }

    public static StableDiffusion get(Path folder, Device device, DataType dtype) {
        return get(folder, folder.resolve("unet"), device, dtype);
    }

    public static StableDiffusion get(Path folder, Path unetFolder, Device device, DataType dtype) {
        Key key = new Key(folder.toAbsolutePath().normalize(), unetFolder.toAbsolutePath().normalize(), device.toString(), dtype);
        return PIPELINES.computeIfAbsent(key, k -> StableDiffusion.load(k.folder(), k.unet(), device, dtype));
    }
}
