package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import org.editstream.models.ModelFolder;
import org.editstream.models.Resampling;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Grounding DINO's image processor ({@code GroundingDinoImageProcessor}, DETR's resize): the shorter side to
 * {@code shortest_edge} unless the longer would then exceed {@code longest_edge} (then the longer side to it), with
 * Pillow's filter (bilinear: antialiased when shrinking); rescaled and normalised; a batch padded right and bottom
 * with zeros to its largest height and width, with a pixel mask of 1 over each image.
 */
public final class GroundingDinoProcessor {
    /**
     * @param values [B, 3, H, W] normalised pixels
     * @param mask   [B, H, W] int64, 1 over the image and 0 over the padding
     */
    public record Pixels(NDArray values, NDArray mask) {
    }

    private final int shortestEdge;
    private final int longestEdge;
    private final Resampling.Filter filter;
    private final double rescale;
    private final float[] mean;
    private final float[] std;

    GroundingDinoProcessor(int shortestEdge, int longestEdge, Resampling.Filter filter, double rescale, float[] mean, float[] std) {
        this.shortestEdge = shortestEdge;
        this.longestEdge = longestEdge;
        this.filter = filter;
        this.rescale = rescale;
        this.mean = mean;
        this.std = std;
    }

    /** The folder's {@code preprocessor_config.json}, or the released checkpoints' settings (800, 1333) without one. */
    public static GroundingDinoProcessor load(Path folder) {
        Path file = folder.resolve("preprocessor_config.json");
        JsonNode c = Files.isRegularFile(file) ? ModelFolder.json(file, JsonNode.class) : MissingNode.getInstance();
        return new GroundingDinoProcessor(c.path("size").path("shortest_edge").asInt(800),
                c.path("size").path("longest_edge").asInt(1333), Resampling.Filter.ofPillowCode(c.path("resample").asInt(2)),
                c.path("rescale_factor").asDouble(1 / 255.0),
                ModelFolder.floats(c.path("image_mean"), new float[] {0.485f, 0.456f, 0.406f}),
                ModelFolder.floats(c.path("image_std"), new float[] {0.229f, 0.224f, 0.225f}));
    }

    /** The resized height and width of an image of {@code height} x {@code width}. */
    public int[] resizedSize(int height, int width) {
        double size = shortestEdge;
        double raw = -1;
        double shorter = Math.min(height, width);
        double longer = Math.max(height, width);
        if (longer / shorter * size > longestEdge) {
            raw = longestEdge * shorter / longer;
            size = Math.rint(raw); // Python rounds half to even
        }
        int s = (int) size;
        if (height <= width && height == s || width <= height && width == s) {
            return new int[] {height, width};
        }
        double along = raw >= 0 ? raw : s;
        return width < height ? new int[] {(int) (along * height / width), s} : new int[] {s, (int) (along * width / height)};
    }

    public Pixels pixels(NDManager manager, List<BufferedImage> images) {
        int[][] sizes = images.stream().map(i -> resizedSize(i.getHeight(), i.getWidth())).toArray(int[][]::new);
        int height = 0;
        int width = 0;
        for (int[] s : sizes) {
            height = Math.max(height, s[0]);
            width = Math.max(width, s[1]);
        }
        int plane = height * width;
        float[] values = new float[images.size() * 3 * plane];
        long[] mask = new long[images.size() * plane];
        for (int n = 0; n < images.size(); n++) {
            int h = sizes[n][0];
            int w = sizes[n][1];
            int[] rgb = Resampling.resize(images.get(n), w, h, filter).getRGB(0, 0, w, h, null, 0, w);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = rgb[y * w + x];
                    mask[n * plane + y * width + x] = 1;
                    for (int c = 0; c < 3; c++) {
                        int value = (p >> (16 - 8 * c)) & 0xFF;
                        values[(n * 3 + c) * plane + y * width + x] = (float) ((value * rescale - mean[c]) / std[c]);
                    }
                }
            }
        }
        return new Pixels(manager.create(values, new Shape(images.size(), 3, height, width)),
                manager.create(mask, new Shape(images.size(), height, width)).toType(DataType.INT64, false));
    }
}
