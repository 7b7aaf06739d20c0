package org.editstream.models.sam;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ImageTensors;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Resampling;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Interpolate;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Segment Anything (a folder of {@code config.json} and {@code model.safetensors} with the ORIGINAL segment-anything
 * names, {@code image_encoder.}, {@code prompt_encoder.}, {@code mask_decoder.}): {@link #embed} once per image, then
 * any number of {@link #segment} calls with point and box prompts on that embedding. Safe for concurrent requests.
 *
 * <p>As the reference's {@code SamPredictor}: the image's longest side is resized to the encoder's input size (Pillow's
 * bicubic), normalised with the pixel mean and std on 0-255 values and zero-padded bottom and right to a square;
 * prompts are scaled the same way; masks are upscaled 4x to the input square (bilinear), cropped to the resized image
 * and resized to the original (bilinear); a logit above 0 is in the mask.
 */
public final class SegmentAnything implements AutoCloseable {
    private final NDManager manager;
    private final SamConfig config;
    private final SamImageEncoder encoder;
    private final SamPromptEncoder prompts;
    private final SamMaskDecoder decoder;
    private final NDArray imagePositions;
    private final NDArray positionTokens;

    private SegmentAnything(NDManager manager, WeightSet weights, SamConfig config) {
        NativeAllocator.tune(); // before the first activations are allocated
        this.manager = manager;
        this.config = config;
        this.encoder = new SamImageEncoder(weights.root().child("image_encoder"), config);
        this.prompts = new SamPromptEncoder(weights.root().child("prompt_encoder"), config);
        this.decoder = new SamMaskDecoder(weights.root().child("mask_decoder"), config);
        this.imagePositions = manager == null ? null : prompts.imagePositions(manager);
        this.positionTokens = imagePositions == null ? null
                : imagePositions.reshape(1, config.promptEmbedDim(), -1).transpose(0, 2, 1).duplicate();
    }

    public static SegmentAnything load(Path folder, Device device, DataType dtype) {
        return ModelFolder.load(folder, device, dtype, List.of(),
                (manager, weights) -> new SegmentAnything(manager, weights, ModelFolder.config(folder, SamConfig.class)));
    }

    /** The layout a config implies, on recorded (or random) weights; a recorded model cannot run. */
    public static SegmentAnything build(WeightSet weights, SamConfig config, NDManager manager) {
        return new SegmentAnything(manager, weights, config);
    }

    public SamConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** An image's embedding, with the sizes that map prompts and masks between the image and the encoder's input. */
    public record Embedding(NDArray embedding, int width, int height, int inputWidth, int inputHeight) implements AutoCloseable {
        @Override
        public void close() {
            embedding.close();
        }
    }

    /**
     * A prompt in the original image's pixels: points (x, y) with labels (1 foreground, 0 background), and/or a box
     * (x0, y0, x1, y1); {@code multimask} asks for the three masks of an ambiguous prompt instead of one.
     */
    public record Prompt(float[][] points, int[] labels, float[] box, boolean multimask) {
        public Prompt {
            if ((points == null) != (labels == null) || (points != null && points.length != labels.length)) {
                throw new IllegalArgumentException("every point needs a label");
            }
            if (points == null && box == null) {
                throw new IllegalArgumentException("a prompt needs points or a box");
            }
            if (box != null && box.length != 4) {
                throw new IllegalArgumentException("a box is x0, y0, x1, y1");
            }
        }

        public static Prompt box(float x0, float y0, float x1, float y1, boolean multimask) {
            return new Prompt(null, null, new float[] {x0, y0, x1, y1}, multimask);
        }
    }

    /** Mask logits at the original size [masks, H, W] (above 0 is in the mask) and their predicted IoUs [masks]. */
    public record Masks(NDArray logits, float[] iou) implements AutoCloseable {
        @Override
        public void close() {
            logits.close();
        }
    }

    /** {width, height} of the image after the longest side is resized to the encoder's size (rounded half up). */
    public int[] inputSize(int width, int height) {
        double scale = (double) config.imageSize() / Math.max(width, height);
        return new int[] {(int) (width * scale + 0.5), (int) (height * scale + 0.5)};
    }

    /** The embedding of an image, in {@code m}: computed once, reused by every prompt on the image. */
    public Embedding embed(NDManager m, BufferedImage image) {
        return embedAll(m, List.of(image)).get(0);
    }

    /** The embeddings of images, in {@code m}, by one pass of the image encoder over all of them. */
    public List<Embedding> embedAll(NDManager m, List<BufferedImage> images) {
        List<Embedding> out = new ArrayList<>(images.size());
        try (NDManager scope = m.newSubManager()) {
            NDList batch = new NDList();
            List<int[]> sizes = new ArrayList<>();
            for (BufferedImage image : images) {
                int[] size = inputSize(image.getWidth(), image.getHeight());
                BufferedImage resized = Resampling.resize(image, size[0], size[1], Resampling.Filter.BICUBIC);
                batch.add(preprocess(ImageTensors.fromImage(scope, resized).mul(255f)));
                sizes.add(size);
            }
            NDArray embeddings = encode(NDArrays.concat(batch, 0));
            for (int i = 0; i < images.size(); i++) {
                NDArray embedding = embeddings.get(i + ":" + (i + 1));
                embedding.attach(m);
                out.add(new Embedding(embedding, images.get(i).getWidth(), images.get(i).getHeight(), sizes.get(i)[0], sizes.get(i)[1]));
            }
        }
        return out;
    }

    /** 0-255 RGB [1, 3, h, w] (h, w at most the encoder's size) normalised and zero-padded to the encoder's square. */
    public NDArray preprocess(NDArray pixels0to255) {
        long size = config.imageSize();
        NDArray mean = pixels0to255.getManager().create(config.pixelMean().stream().mapToDouble(Double::doubleValue).toArray())
                .toType(pixels0to255.getDataType(), false).reshape(1, 3, 1, 1);
        NDArray std = pixels0to255.getManager().create(config.pixelStd().stream().mapToDouble(Double::doubleValue).toArray())
                .toType(pixels0to255.getDataType(), false).reshape(1, 3, 1, 1);
        NDArray x = pixels0to255.sub(mean).div(std);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        return h == size && w == size ? x : x.pad(new Shape(0, size - w, 0, size - h), 0);
    }

    /** Preprocessed images [B, 3, size, size] to image embeddings [B, C, side, side]. */
    public NDArray encode(NDArray preprocessed) {
        return Scoped.apply(in -> encoder.forward(in[0]), preprocessed);
    }

    /** The positional encoding of the embedding grid [1, C, side, side] (the decoder's image positions). */
    public NDArray imagePositions() {
        return imagePositions;
    }

    /**
     * The sparse [1, tokens, C] and dense [1, C, side, side] prompt embeddings, in {@code m}, of points and a box in the
     * encoder's input pixels.
     */
    public NDList promptEmbeddings(NDManager m, float[][] points, int[] labels, float[] box) {
        return new NDList(prompts.sparse(m, points, labels, box), prompts.dense(m, null));
    }

    /** Low-resolution mask logits [B, masks, 4*side, 4*side] and IoUs [B, masks] from an image embedding [1, C, side, side]. */
    public NDList decode(NDArray embedding, NDArray sparse, NDArray dense, boolean multimask) {
        NDManager owner = sparse.getManager();
        try (NDManager scope = owner.newSubManager()) {
            for (NDArray a : new NDArray[] {embedding, sparse, dense}) {
                a.tempAttach(scope);
            }
            NDList out = decoder.forward(embedding, positionTokens, sparse, dense, multimask);
            out.attach(owner);
            return out;
        }
    }

    /** Low-resolution logits [B, masks, h, w] upscaled to the input square, cropped to the resized image, resized to the original. */
    public NDArray postprocess(NDArray lowRes, int inputWidth, int inputHeight, int width, int height) {
        return Scoped.apply(in -> {
            long size = config.imageSize();
            NDArray full = Interpolate.bilinear(in[0], size, size, false);
            if (inputWidth != size || inputHeight != size) {
                full = full.get(":, :, 0:" + inputHeight + ", 0:" + inputWidth);
            }
            return inputWidth == width && inputHeight == height ? full : Interpolate.bilinear(full, height, width, false);
        }, lowRes);
    }

    /** Masks for one prompt on an embedded image, in the embedding's manager. */
    public Masks segment(Embedding image, Prompt prompt) {
        NDManager m = image.embedding().getManager();
        try (NDManager scope = m.newSubManager()) {
            double sx = (double) image.inputWidth() / image.width();
            double sy = (double) image.inputHeight() / image.height();
            float[][] points = null;
            if (prompt.points() != null) {
                points = new float[prompt.points().length][];
                for (int i = 0; i < points.length; i++) {
                    points[i] = new float[] {(float) (prompt.points()[i][0] * sx), (float) (prompt.points()[i][1] * sy)};
                }
            }
            float[] box = prompt.box() == null ? null : new float[] {(float) (prompt.box()[0] * sx), (float) (prompt.box()[1] * sy),
                    (float) (prompt.box()[2] * sx), (float) (prompt.box()[3] * sy)};
            NDList embeddings = promptEmbeddings(scope, points, prompt.labels(), box);
            NDList decoded = decode(image.embedding(), embeddings.get(0), embeddings.get(1), prompt.multimask());
            NDArray logits = postprocess(decoded.get(0), image.inputWidth(), image.inputHeight(), image.width(), image.height()).get(0);
            float[] iou = decoded.get(1).get(0).toType(DataType.FLOAT32, false).toFloatArray();
            logits.attach(m);
            return new Masks(logits, iou);
        }
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
