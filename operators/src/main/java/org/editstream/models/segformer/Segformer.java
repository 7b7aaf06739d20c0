package org.editstream.models.segformer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.ModelException;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;
import org.editstream.models.Resampling;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.BatchNorm2d;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.DepthwiseConv2d;
import org.editstream.models.nn.Interpolate;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * SegFormer for semantic segmentation (a Hugging Face {@code SegformerForSemanticSegmentation} folder:
 * {@code config.json}, {@code model.safetensors}, {@code preprocessor_config.json}). The Mix Transformer encoder:
 * per stage an overlapping patch embedding (a strided convolution and a layer norm), layers of efficient
 * self-attention (keys and values from the tokens reduced by a strided convolution and a layer norm) and Mix-FFN (a
 * depth-wise 3x3 convolution between its linear layers), and a layer norm. The all-MLP decoder: each stage's tokens
 * to the decoder width, upsampled to the first stage's size, concatenated (last stage first), fused by a 1x1
 * convolution with batch norm and ReLU, and classified per pixel. Safe for concurrent requests.
 */
public final class Segformer implements AutoCloseable {
    /** torch's LayerNorm default, which every SegFormer layer norm uses. */
    private static final double EPS = 1e-5;
    private static final double BATCH_NORM_EPS = 1e-5;

    private final NDManager manager;
    private final SegformerConfig config;
    private final List<Stage> stages = new ArrayList<>();
    /** Per stage, linear_fuse's slice for it times its linear_c: [width, C_i] (none on recorded weights). */
    private final List<NDArray> stageToFused = new ArrayList<>();
    /** The sum of linear_fuse's slices times the linear_c biases: [1, width, 1, 1]. */
    private final NDArray fusedBias;
    private final BatchNorm2d batchNorm;
    private final Conv2d classifier;
    private final Processor processor;

    private Segformer(NDManager manager, Parameters p, SegformerConfig c, Processor processor) {
        NativeAllocator.tune(); // before the first activations are allocated
        this.manager = manager;
        this.config = c;
        this.processor = processor;
        Parameters encoder = p.child("segformer").child("encoder");
        for (int i = 0; i < c.numEncoderBlocks(); i++) {
            stages.add(new Stage(encoder, c, i));
        }
        Parameters head = p.child("decode_head");
        long width = c.decoderHiddenSize();
        int n = c.numEncoderBlocks();
        NDArray fuse = head.child("linear_fuse").get("weight", width, width * n, 1, 1);
        NDArray bias = null;
        for (int i = 0; i < n; i++) {
            Parameters proj = head.child("linear_c").child(Integer.toString(i)).child("proj");
            NDArray weight = proj.get("weight", width, c.hiddenSizes().get(i));
            NDArray b = proj.get("bias", width);
            if (fuse == null) {
                continue;
            }
            // the reference concatenates the last stage first: stage i's channels are linear_fuse's block n - 1 - i
            int block = n - 1 - i;
            NDManager owner = fuse.getManager();
            try (NDManager scope = owner.newSubManager()) {
                fuse.tempAttach(scope);
                weight.tempAttach(scope);
                b.tempAttach(scope);
                NDArray slice = fuse.reshape(width, width * n).get(":, " + block * width + ":" + (block + 1) * width)
                        .toType(DataType.FLOAT32, false);
                NDArray folded = slice.matMul(weight.toType(DataType.FLOAT32, false)).toType(fuse.getDataType(), false);
                NDArray shift = slice.matMul(b.toType(DataType.FLOAT32, false).reshape(width, 1));
                folded.attach(owner);
                shift.attach(owner);
                stageToFused.add(folded);
                bias = bias == null ? shift : bias.addi(shift);
            }
        }
        this.fusedBias = bias == null ? null : bias.toType(fuse.getDataType(), false).reshape(1, width, 1, 1);
        this.batchNorm = new BatchNorm2d(head.child("batch_norm"), width, BATCH_NORM_EPS);
        this.classifier = new Conv2d(head.child("classifier"), width, c.labels(), 1, 1, 0, true);
    }

    public static Segformer load(Path folder, Device device, DataType dtype) {
        return ModelFolder.load(folder, device, dtype, List.of(), (manager, weights) -> new Segformer(manager, weights.root(),
                ModelFolder.config(folder, SegformerConfig.class), Processor.load(folder)));
    }

    /** The layout a config implies, on recorded (or random) weights, with the default 512 x 512 processor. */
    public static Segformer build(WeightSet weights, SegformerConfig config, NDManager manager) {
        return new Segformer(manager, weights.root(), config, Processor.defaults());
    }

    public SegformerConfig config() {
        return config;
    }

    public NDManager manager() {
        return manager;
    }

    /** Each stage's output [B, C_i, H_i, W_i] for normalised pixel values [B, 3, H, W]. */
    public List<NDArray> encoderStates(NDArray pixels) {
        NDManager owner = pixels.getManager();
        try (NDManager scope = owner.newSubManager()) {
            pixels.tempAttach(scope);
            List<NDArray> states = encode(pixels);
            NDList out = new NDList(states);
            out.attach(owner);
            return states;
        }
    }

    /** Per-pixel class logits [B, labels, H/4, W/4] (a quarter of the input's resolution). */
    public NDArray logits(NDArray pixels) {
        return Scoped.apply(in -> decode(encode(in[0])), pixels);
    }

    private List<NDArray> encode(NDArray pixels) {
        List<NDArray> states = new ArrayList<>();
        NDArray x = pixels;
        for (Stage stage : stages) {
            x = stage.forward(x);
            states.add(x);
        }
        return states;
    }

    private NDArray decode(List<NDArray> states) {
        long batch = states.get(0).getShape().get(0);
        long h = states.get(0).getShape().get(2);
        long w = states.get(0).getShape().get(3);
        long width = config.decoderHiddenSize();
        // linear_fuse over the concatenated, upsampled linear_c outputs is, by linearity, the sum of each stage's
        // folded projection upsampled: the [B, 4 * width, H/4, W/4] concatenation is never made
        NDArray fusedSum = null;
        for (int i = states.size() - 1; i >= 0; i--) {
            NDArray s = states.get(i);
            long hi = s.getShape().get(2);
            long wi = s.getShape().get(3);
            NDArray product = stageToFused.get(i).matMul(s.reshape(batch, s.getShape().get(1), hi * wi));
            // the weight on the left reads the channels-first state as it is (no transposing copies), so the product is
            // made in the weight's manager: handed to the activations' scope, as the activations-left convention would
            product.attach(s.getManager());
            NDArray projected = product.reshape(batch, width, hi, wi);
            NDArray term = hi == h && wi == w ? projected : Interpolate.bilinear(projected, h, w, false);
            if (fusedSum == null) {
                fusedSum = term;
            } else {
                fusedSum.addi(term);
            }
        }
        NDArray fused = batchNorm.forward(fusedSum.addi(fusedBias)).getNDArrayInternal().relu();
        return classifier.forward(fused);
    }

    /** Normalised pixel values [N, 3, h, w] of images, as {@code SegformerImageProcessor} makes them. */
    public NDArray pixelValues(NDManager m, List<BufferedImage> images) {
        return processor.pixelValues(m, images);
    }

    /**
     * The label map of one image's logits [labels, h, w] at the image's size, as {@code post_process_semantic_segmentation}:
     * bilinear upsampling (align_corners false), then the argmax; row-major.
     */
    public int[] segmentation(NDArray logits, int width, int height) {
        try (NDManager scope = logits.getManager().newSubManager()) {
            NDArray up = Interpolate.bilinear(logits.expandDims(0), height, width, false).get(0);
            up.attach(scope);
            long[] labels = up.argMax(0).toType(DataType.INT64, false).toLongArray();
            int[] out = new int[labels.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) labels[i];
            }
            return out;
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    /** One encoder stage: patch embedding, layers, layer norm; [B, C_in, H, W] to [B, C, H / stride, W / stride]. */
    private static final class Stage {
        private final Conv2d proj;
        private final LayerNorm embeddingNorm;
        private final List<Layer> layers = new ArrayList<>();
        private final LayerNorm norm;
        private final long width;

        Stage(Parameters encoder, SegformerConfig c, int i) {
            this.width = c.hiddenSizes().get(i);
            long in = i == 0 ? c.numChannels() : c.hiddenSizes().get(i - 1);
            int patch = c.patchSizes().get(i);
            Parameters embedding = encoder.child("patch_embeddings").child(Integer.toString(i));
            this.proj = new Conv2d(embedding.child("proj"), in, width, patch, c.strides().get(i), patch / 2, true);
            this.embeddingNorm = new LayerNorm(embedding.child("layer_norm"), width, EPS);
            for (int j = 0; j < c.depths().get(i); j++) {
                layers.add(new Layer(encoder.child("block").child(Integer.toString(i)).child(Integer.toString(j)), c, i));
            }
            this.norm = new LayerNorm(encoder.child("layer_norm").child(Integer.toString(i)), width, EPS);
        }

        NDArray forward(NDArray x) {
            NDArray embedded = proj.forward(x);
            long b = embedded.getShape().get(0);
            long h = embedded.getShape().get(2);
            long w = embedded.getShape().get(3);
            NDArray tokens = embeddingNorm.forward(embedded.reshape(b, width, h * w).transpose(0, 2, 1));
            for (Layer layer : layers) {
                tokens = layer.forward(tokens, h, w);
            }
            return norm.forward(tokens).reshape(b, h, w, width).transpose(0, 3, 1, 2);
        }
    }

    /** Pre-norm efficient self-attention and Mix-FFN, each with a residual. */
    private static final class Layer {
        private final LayerNorm norm1;
        private final Linear query;
        /** key and value in one product. */
        private final Linear keyValue;
        private final Conv2d reduction;
        private final LayerNorm reductionNorm;
        private final Linear output;
        private final LayerNorm norm2;
        private final Linear dense1;
        private final DepthwiseConv2d dwconv;
        private final Linear dense2;
        private final UnaryOperator<NDArray> act;
        private final int heads;
        private final long width;
        private final long hidden;

        Layer(Parameters p, SegformerConfig c, int stage) {
            this.width = c.hiddenSizes().get(stage);
            this.heads = c.numAttentionHeads().get(stage);
            this.hidden = width * c.mlpRatios().get(stage);
            int sr = c.srRatios().get(stage);
            this.norm1 = new LayerNorm(p.child("layer_norm_1"), width, EPS);
            Parameters self = p.child("attention").child("self");
            this.query = new Linear(self.child("query"), width, width, true);
            this.keyValue = Linear.stacked(List.of(self.child("key"), self.child("value")), width, width, true);
            this.reduction = sr > 1 ? new Conv2d(self.child("sr"), width, width, sr, sr, 0, true) : null;
            this.reductionNorm = sr > 1 ? new LayerNorm(self.child("layer_norm"), width, EPS) : null;
            this.output = new Linear(p.child("attention").child("output").child("dense"), width, width, true);
            this.norm2 = new LayerNorm(p.child("layer_norm_2"), width, EPS);
            Parameters mlp = p.child("mlp");
            this.dense1 = new Linear(mlp.child("dense1"), width, hidden, true);
            this.dwconv = new DepthwiseConv2d(mlp.child("dwconv").child("dwconv"), hidden, 3, 1, true);
            this.dense2 = new Linear(mlp.child("dense2"), hidden, width, true);
            this.act = Activation.named(c.hiddenAct());
        }

        NDArray forward(NDArray x, long h, long w) {
            long b = x.getShape().get(0);
            NDArray n = norm1.forward(x);
            NDArray kv = n;
            if (reduction != null) {
                NDArray reduced = reduction.forward(n.transpose(0, 2, 1).reshape(b, width, h, w));
                kv = reductionNorm.forward(reduced.reshape(b, width, -1).transpose(0, 2, 1));
            }
            NDArray keysValues = keyValue.forward(kv);
            x = x.add(output.forward(Attention.attend(query.forward(n), keysValues.get(":, :, 0:" + width),
                    keysValues.get(":, :, " + width + ":"), heads, null, null)));
            NDArray mixed = dense1.forward(norm2.forward(x)).reshape(b, h, w, hidden); // the tokens are channels-last
            mixed = dwconv.forwardChannelsLast(mixed).reshape(b, h * w, hidden);
            return x.add(dense2.forward(act.apply(mixed)));
        }
    }

    /** {@code SegformerImageProcessor}: a fixed-size Pillow resize, rescale, normalise. */
    record Processor(int width, int height, Resampling.Filter filter, double rescale, float[] mean, float[] std) {
        static Processor defaults() {
            return new Processor(512, 512, Resampling.Filter.BILINEAR, 1 / 255.0, new float[] {0.485f, 0.456f, 0.406f},
                    new float[] {0.229f, 0.224f, 0.225f});
        }

        static Processor load(Path folder) {
            Path file = folder.resolve("preprocessor_config.json");
            if (!Files.isRegularFile(file)) {
                return defaults();
            }
            try {
                JsonNode c = new ObjectMapper().readTree(file.toFile());
                Processor d = defaults();
                return new Processor(c.path("size").path("width").asInt(d.width), c.path("size").path("height").asInt(d.height),
                        Resampling.Filter.ofPillowCode(c.path("resample").asInt(2)), c.path("rescale_factor").asDouble(d.rescale),
                        ModelFolder.floats(c.path("image_mean"), d.mean), ModelFolder.floats(c.path("image_std"), d.std));
            } catch (IOException e) {
                throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }


        NDArray pixelValues(NDManager m, List<BufferedImage> images) {
            int plane = width * height;
            float[] data = new float[images.size() * 3 * plane];
            for (int n = 0; n < images.size(); n++) {
                int[] rgb = Resampling.resize(images.get(n), width, height, filter).getRGB(0, 0, width, height, null, 0, width);
                for (int c = 0; c < 3; c++) {
                    int shift = 16 - 8 * c;
                    for (int i = 0; i < plane; i++) {
                        data[(n * 3 + c) * plane + i] = (float) ((((rgb[i] >> shift) & 0xFF) * rescale - mean[c]) / std[c]);
                    }
                }
            }
            return m.create(data, new Shape(images.size(), 3, height, width));
        }
    }
}
