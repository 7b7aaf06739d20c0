package org.editstream.models.depth;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;
import org.editstream.models.Resampling;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.dino.Dinov2;
import org.editstream.models.dino.Dinov2Config;
import org.editstream.models.nn.Interpolate;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Depth Anything V2 (a folder of {@code config.json} and {@code model.safetensors} with the reference's ORIGINAL
 * names, {@code pretrained.} for the DINOv2 backbone and {@code depth_head.} for the DPT head): relative inverse depth,
 * larger is nearer. Safe for concurrent requests.
 *
 * <p>Preprocessing follows the reference's {@code infer_image}: the image scaled so that both sides are at least the
 * input size (518), each side rounded to a multiple of the patch size (up when rounding would go below the input
 * size), normalised with the ImageNet mean and std; the depth is interpolated back to the image's size (bilinear,
 * align_corners true). One difference: the reference resizes with OpenCV's bicubic filter on float pixels, this with
 * Pillow's bicubic on 8-bit pixels ({@link Resampling}), which moves pixel values by up to about one level.
 */
public final class DepthAnything implements AutoCloseable {
    private final NDManager manager;
    private final Dinov2Config backboneConfig;
    private final DepthAnythingConfig config;
    private final Dinov2 backbone;
    private final DptHead head;

    private DepthAnything(NDManager manager, Parameters p, Dinov2Config backboneConfig, DepthAnythingConfig config) {
        NativeAllocator.tune(); // before the first activations are allocated
        this.manager = manager;
        this.backboneConfig = backboneConfig;
        this.config = config;
        this.backbone = new Dinov2(p.child("pretrained"), backboneConfig);
        this.head = new DptHead(p.child("depth_head"), backboneConfig.embedDim(), config, backboneConfig.patchSize());
    }

    public static DepthAnything load(Path folder, Device device, DataType dtype) {
        return ModelFolder.load(folder, device, dtype, List.of(), (manager, weights) -> new DepthAnything(manager, weights.root(),
                ModelFolder.config(folder, Dinov2Config.class), ModelFolder.config(folder, DepthAnythingConfig.class)));
    }

    /** The model's layout on {@code weights} without a folder (recording the names and shapes a config implies, or random weights). */
    public static DepthAnything build(WeightSet weights, Dinov2Config backboneConfig, DepthAnythingConfig config, NDManager manager) {
        return new DepthAnything(manager, weights.root(), backboneConfig, config);
    }

    public Dinov2 backbone() {
        return backbone;
    }

    public DepthAnythingConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Relative inverse depth [B, H, W] of normalised pixel values [B, 3, H, W] (H, W multiples of the patch size). */
    public NDArray depth(NDArray pixelValues) {
        return Scoped.apply(in -> {
            NDArray pixels = in[0];
            int patch = backboneConfig.patchSize();
            long rows = pixels.getShape().get(2) / patch;
            long cols = pixels.getShape().get(3) / patch;
            int[] layers = config.intermediateLayerIdx().stream().mapToInt(Integer::intValue).toArray();
            List<NDArray> outputs = backbone.intermediate(pixels, layers);
            List<NDArray> patches = new ArrayList<>();
            List<NDArray> classes = new ArrayList<>();
            for (NDArray tokens : outputs) {
                patches.add(backbone.patchTokens(tokens));
                classes.add(tokens.get(":, 0, :"));
            }
            return head.forward(patches, classes, rows, cols).squeeze(1);
        }, pixelValues);
    }

    /** The network's input size {width, height} for an image, as the reference's lower-bound resize computes it. */
    public int[] inputSize(int width, int height) {
        int target = config.inputSize();
        int patch = backboneConfig.patchSize();
        double scale = Math.max((double) target / height, (double) target / width);
        return new int[] {multipleOf(scale * width, patch, target), multipleOf(scale * height, patch, target)};
    }

    private static int multipleOf(double x, int multiple, int atLeast) {
        int y = (int) (Math.round(x / multiple) * multiple);
        return y < atLeast ? (int) (Math.ceil(x / multiple) * multiple) : y;
    }

    /** Normalised pixel values [1, 3, h, w] of an image at {@link #inputSize}. */
    public NDArray pixelValues(NDManager m, BufferedImage image) {
        int[] size = inputSize(image.getWidth(), image.getHeight());
        BufferedImage resized = Resampling.resize(image, size[0], size[1], Resampling.Filter.BICUBIC);
        int w = size[0];
        int h = size[1];
        int[] rgb = resized.getRGB(0, 0, w, h, null, 0, w);
        float[] data = new float[3 * w * h];
        int plane = w * h;
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean().get(c).floatValue();
            float std = config.imageStd().get(c).floatValue();
            int shift = 16 - 8 * c;
            for (int i = 0; i < plane; i++) {
                data[c * plane + i] = (((rgb[i] >> shift) & 0xFF) / 255f - mean) / std;
            }
        }
        return m.create(data, new Shape(1, 3, h, w));
    }

    /** The relative inverse depth [H, W] of an image at its own size, in {@code m}. */
    public NDArray depthOf(NDManager m, BufferedImage image) {
        return depthOf(m, List.of(image)).get(0);
    }

    /**
     * The relative inverse depth of each image at its own size ([H, W] each, in {@code m}), in one forward pass: the
     * images must share an {@link #inputSize} (images of one aspect ratio do).
     */
    public List<NDArray> depthOf(NDManager m, List<BufferedImage> images) {
        try (NDManager scope = m.newSubManager()) {
            NDList pixels = new NDList();
            for (BufferedImage image : images) {
                pixels.add(pixelValues(scope, image));
            }
            NDArray depth = depth(NDArrays.concat(pixels, 0)).expandDims(1);
            List<NDArray> out = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                BufferedImage image = images.get(i);
                NDArray full = Interpolate.bilinear(depth.get(i + ":" + (i + 1)), image.getHeight(), image.getWidth(), true).get(0, 0);
                full.attach(m);
                out.add(full);
            }
            return out;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
