package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.DepthMap;
import org.editstream.models.Devices;
import org.editstream.models.depth.DepthAnything;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** A Depth Anything V2 model per JVM and folder ({@link ModelHost}): images whose network input sizes agree run in one forward pass. */
public final class DepthHost extends ModelHost<BufferedImage, DepthMap> {
    public static final int MAX_BATCH = 8;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, DepthHost> HOSTS = new ConcurrentHashMap<>();

    private final DepthAnything model;

    private DepthHost(DepthAnything model, String id) {
        super(id, "depth", MAX_BATCH, MAX_WAIT, image -> Arrays.toString(model.inputSize(image.getWidth(), image.getHeight())));
        this.model = model;
    }

    /** The host of a depth model folder, loaded on first use. */
    public static DepthHost forFolder(Path folder) {
        return perFolder(HOSTS, folder, f -> new DepthHost(DepthAnything.load(f, Devices.named("auto"), DataType.FLOAT32),
                "depth-anything-v2 " + f.getFileName()));
    }

    public CompletableFuture<DepthMap> estimate(BufferedImage image) {
        return submit(image);
    }

    /** The depth of an image, waiting for its batch; a model failure is rethrown as it was thrown. */
    public DepthMap estimateNow(BufferedImage image) {
        return await(image);
    }

    @Override
    List<DepthMap> run(List<BufferedImage> images) {
        try (NDManager m = model.manager().newSubManager()) {
            List<NDArray> depths = model.depthOf(m, images);
            List<DepthMap> out = new ArrayList<>(images.size());
            for (int i = 0; i < images.size(); i++) {
                float[] values = depths.get(i).toType(DataType.FLOAT32, false).toFloatArray();
                out.add(new DepthMap(values, images.get(i).getWidth(), images.get(i).getHeight()));
            }
            return out;
        }
    }
}
