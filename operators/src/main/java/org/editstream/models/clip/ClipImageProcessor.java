package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.ModelFolder;
import org.editstream.models.Resampling;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code CLIPImageProcessor} from a {@code preprocessor_config.json}: shortest side to {@code size} with
 * Pillow's filter (the other side truncated, aspect kept), centre crop, rescale, normalise per channel.
 */
public final class ClipImageProcessor {
    private final int shortestEdge;
    private final int cropWidth;
    private final int cropHeight;
    private final float rescale;
    private final float[] mean;
    private final float[] std;
    private final Resampling.Filter filter;

    public ClipImageProcessor(int shortestEdge, int cropWidth, int cropHeight, double rescale, float[] mean, float[] std,
                              Resampling.Filter filter) {
        this.shortestEdge = shortestEdge;
        this.cropWidth = cropWidth;
        this.cropHeight = cropHeight;
        this.rescale = (float) rescale;
        this.mean = mean.clone();
        this.std = std.clone();
        this.filter = filter;
    }

    public static ClipImageProcessor load(Path folder) {
        JsonNode c = ModelFolder.json(folder.resolve("preprocessor_config.json"), JsonNode.class);
        JsonNode size = c.path("size");
        int shortest = size.isInt() ? size.asInt() : size.path("shortest_edge").asInt(224);
        JsonNode crop = c.path("crop_size");
        int cropW = crop.isInt() ? crop.asInt() : crop.path("width").asInt(shortest);
        int cropH = crop.isInt() ? crop.asInt() : crop.path("height").asInt(shortest);
        return new ClipImageProcessor(shortest, cropW, cropH, c.path("rescale_factor").asDouble(1 / 255.0),
                ModelFolder.floats(c.path("image_mean"), new float[] {0.48145466f, 0.4578275f, 0.40821073f}),
                ModelFolder.floats(c.path("image_std"), new float[] {0.26862954f, 0.26130258f, 0.27577711f}),
                Resampling.Filter.ofPillowCode(c.path("resample").asInt(3)));
    }


    /** The resized size (width, height) and crop offsets (left, top) of an image of this size. */
    public int[] geometry(int width, int height) {
        int w;
        int h;
        if (width <= height) {
            w = shortestEdge;
            h = (int) ((long) shortestEdge * height / width);
        } else {
            h = shortestEdge;
            w = (int) ((long) shortestEdge * width / height);
        }
        return new int[] {w, h, (w - cropWidth) / 2, (h - cropHeight) / 2};
    }

    /** Pixel values [N, 3, cropHeight, cropWidth] of the images. */
    public NDArray pixelValues(NDManager manager, List<BufferedImage> images) {
        int plane = cropWidth * cropHeight;
        float[] data = new float[images.size() * 3 * plane];
        for (int n = 0; n < images.size(); n++) {
            BufferedImage image = images.get(n);
            int[] g = geometry(image.getWidth(), image.getHeight());
            BufferedImage resized = Resampling.resize(image, g[0], g[1], filter);
            int[] rgb = resized.getRGB(g[2], g[3], cropWidth, cropHeight, null, 0, cropWidth);
            for (int i = 0; i < plane; i++) {
                for (int c = 0; c < 3; c++) {
                    int v = (rgb[i] >> (16 - 8 * c)) & 0xFF;
                    data[(n * 3 + c) * plane + i] = (v * rescale - mean[c]) / std[c];
                }
            }
        }
        return manager.create(data, new Shape(images.size(), 3, cropHeight, cropWidth));
    }
}
