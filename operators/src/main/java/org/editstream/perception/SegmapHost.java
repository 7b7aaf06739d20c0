package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.SegmentationMap;
import org.editstream.models.Devices;
import org.editstream.models.segformer.Segformer;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A SegFormer model per JVM and folder ({@link ModelHost}). Its processor resizes every image to one size, so any
 * requests batch together; each label map comes back at its image's size.
 */
public final class SegmapHost extends ModelHost<BufferedImage, SegmentationMap> {
    public static final int MAX_BATCH = 8;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, SegmapHost> HOSTS = new ConcurrentHashMap<>();

    private final Segformer model;

    private SegmapHost(Segformer model, String id) {
        super(id, "segmap", MAX_BATCH, MAX_WAIT, image -> "images");
        int palette = SegmentationMap.ADE20K.size();
        if (model.config().labels() > palette) {
            throw new IllegalArgumentException("the segmentation map's palette (ADE20K) has " + palette
                    + " colours; the model at " + id + " has " + model.config().labels() + " labels");
        }
        this.model = model;
    }

    /** The host of a SegFormer folder, loaded on first use. */
    public static SegmapHost forFolder(Path folder) {
        return perFolder(HOSTS, folder, f -> new SegmapHost(Segformer.load(f, Devices.named("auto"), DataType.FLOAT32),
                "segformer " + f.getFileName()));
    }

    public CompletableFuture<SegmentationMap> segment(BufferedImage image) {
        return submit(image);
    }

    /** The image's label map, waiting for its batch; a model failure is rethrown as it was thrown. */
    public SegmentationMap segmentNow(BufferedImage image) {
        return await(image);
    }

    @Override
    List<SegmentationMap> run(List<BufferedImage> images) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray logits = model.logits(model.pixelValues(m, images));
            logits.attach(m);
            List<SegmentationMap> out = new ArrayList<>(images.size());
            for (int i = 0; i < images.size(); i++) {
                BufferedImage image = images.get(i);
                out.add(new SegmentationMap(model.segmentation(logits.get(i), image.getWidth(), image.getHeight()),
                        image.getWidth(), image.getHeight()));
            }
            return out;
        }
    }
}
