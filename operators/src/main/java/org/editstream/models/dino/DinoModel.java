package org.editstream.models.dino;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;
import org.editstream.models.Resampling;
import org.editstream.models.Scoped;
import org.editstream.models.clip.ClipImageProcessor;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

/**
 * DINO similarity, the metric Emu Edit reports for edits: the cosine of the DINOv2 class tokens (after the final norm)
 * of the input and the edited image. Loads an ORIGINAL DINOv2 checkpoint (names {@code cls_token}, {@code blocks.N.},
 * ..., which are Depth Anything V2's {@code pretrained.} names without that prefix) converted to safetensors, with its
 * sizes in {@code config.json}. Images are preprocessed as DINOv2's evaluation transform: shortest side to 256
 * (bicubic), centre crop 224, ImageNet mean and std. Safe for concurrent requests.
 */
public final class DinoModel implements AutoCloseable {
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};
    static final int RESIZE = 256;
    static final int CROP = 224;

    private final NDManager manager;
    private final Dinov2 backbone;
    private final ClipImageProcessor processor;

    private DinoModel(NDManager manager, Dinov2 backbone) {
        NativeAllocator.tune(); // before the first activations are allocated
        this.manager = manager;
        this.backbone = backbone;
        this.processor = new ClipImageProcessor(RESIZE, CROP, CROP, 1 / 255.0, IMAGENET_MEAN, IMAGENET_STD, Resampling.Filter.BICUBIC);
    }

    public static DinoModel load(Path folder, Device device, DataType dtype) {
        return ModelFolder.load(folder, device, dtype, List.of(),
                (manager, weights) -> of(weights.root(), ModelFolder.config(folder, Dinov2Config.class), manager));
    }

    /** The model on the DINOv2 names below {@code p} (the root of an original checkpoint, or {@code pretrained.} of Depth Anything's). */
    public static DinoModel of(Parameters p, Dinov2Config config, NDManager manager) {
        return new DinoModel(manager, new Dinov2(p, config));
    }

    public NDManager manager() {
        return manager;
    }

    /** The class tokens [B, C] (after the final norm) of normalised pixel values [B, 3, H, W]. */
    public NDArray classTokens(NDArray pixels) {
        return Scoped.apply(in -> backbone.classToken(in[0]), pixels);
    }

    /** Pixel values [N, 3, 224, 224] of images, as DINOv2's evaluation transform makes them. */
    public NDArray pixelValues(NDManager m, List<BufferedImage> images) {
        return processor.pixelValues(m, images);
    }

    /** The cosine of the class tokens of each input and its edited image, one pass over all 2N images. */
    public double[] similarity(List<BufferedImage> inputs, List<BufferedImage> edited) {
        if (inputs.size() != edited.size()) {
            throw new IllegalArgumentException(inputs.size() + " inputs and " + edited.size() + " edited images");
        }
        int n = inputs.size();
        try (NDManager scope = manager.newSubManager()) {
            List<BufferedImage> all = new java.util.ArrayList<>(inputs);
            all.addAll(edited);
            NDArray tokens = classTokens(pixelValues(scope, all)).toType(DataType.FLOAT32, false);
            NDArray unit = tokens.div(tokens.norm(new int[] {-1}, true));
            float[] cosines = unit.get("0:" + n).mul(unit.get(n + ":")).sum(new int[] {-1}).toFloatArray();
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = cosines[i];
            }
            return out;
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
