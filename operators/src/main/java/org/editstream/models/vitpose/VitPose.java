package org.editstream.models.vitpose;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.BatchNorm2d;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.ConvTranspose2d;
import org.editstream.models.nn.Interpolate;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * ViTPose, top-down human pose (a Hugging Face {@code VitPoseForPoseEstimation} folder, the layouts of
 * {@code usyd-community/vitpose-base-simple} and {@code vitpose-base}). A plain ViT on a person crop: patches by a
 * strided convolution (padding 2), learned positions (the class position added to every patch; there is no class
 * token), pre-norm layers, a final layer norm on the chosen layer's output; then heatmaps by the simple decoder
 * (ReLU, bilinear upsampling, a 3x3 convolution) or the classic one (two 4x4 transposed convolutions with batch norm
 * and ReLU, a 1x1 convolution). Safe for concurrent requests.
 */
public final class VitPose implements AutoCloseable {
    private static final double BATCH_NORM_EPS = 1e-5;
    private static final int CLASSIC_WIDTH = 256;
    /** The patch embedding's padding in the reference. */
    private static final int PATCH_PADDING = 2;

    private final NDManager manager;
    private final VitPoseConfig config;
    private final VitPoseProcessor processor;
    private final Conv2d patches;
    private final NDArray positions;
    private final List<Layer> layers = new ArrayList<>();
    private final LayerNorm norm;
    private final int outLayer;
    // simple decoder
    private final Conv2d simpleConv;
    // classic decoder
    private final ConvTranspose2d deconv1;
    private final BatchNorm2d batchNorm1;
    private final ConvTranspose2d deconv2;
    private final BatchNorm2d batchNorm2;
    private final Conv2d classicConv;

    private VitPose(NDManager manager, Parameters p, VitPoseConfig c, VitPoseProcessor processor) {
        NativeAllocator.tune(); // before the first activations are allocated
        this.manager = manager;
        this.config = c;
        this.processor = processor;
        VitPoseConfig.Backbone b = c.backboneConfig();
        long dim = b.hiddenSize();
        Parameters backbone = p.child("backbone");
        Parameters embeddings = backbone.child("embeddings");
        this.patches = new Conv2d(embeddings.child("patch_embeddings").child("projection"), b.numChannels(), dim, b.patch(), b.patch(),
                PATCH_PADDING, true);
        long grid = (long) (b.height() / b.patch()) * (b.width() / b.patch());
        NDArray learned = embeddings.get("position_embeddings", 1, grid + 1, dim);
        this.positions = learned == null ? null : learned.get(":, 1:, :").add(learned.get(":, 0:1, :"));
        for (int i = 0; i < b.numHiddenLayers(); i++) {
            layers.add(new Layer(backbone.child("encoder").child("layer").child(Integer.toString(i)), b));
        }
        this.norm = new LayerNorm(backbone.child("layernorm"), dim, b.layerNormEps());
        this.outLayer = b.outIndices().stream().mapToInt(Integer::intValue).max().orElse(b.numHiddenLayers());
        Parameters head = p.child("head");
        int keypoints = c.keypoints();
        if (c.useSimpleDecoder()) {
            this.simpleConv = new Conv2d(head.child("conv"), dim, keypoints, 3, 1, 1, true);
            this.deconv1 = null;
            this.batchNorm1 = null;
            this.deconv2 = null;
            this.batchNorm2 = null;
            this.classicConv = null;
        } else {
            this.simpleConv = null;
            this.deconv1 = new ConvTranspose2d(head.child("deconv1"), dim, CLASSIC_WIDTH, 4, 2, 1, false);
            this.batchNorm1 = new BatchNorm2d(head.child("batchnorm1"), CLASSIC_WIDTH, BATCH_NORM_EPS);
            this.deconv2 = new ConvTranspose2d(head.child("deconv2"), CLASSIC_WIDTH, CLASSIC_WIDTH, 4, 2, 1, false);
            this.batchNorm2 = new BatchNorm2d(head.child("batchnorm2"), CLASSIC_WIDTH, BATCH_NORM_EPS);
            this.classicConv = new Conv2d(head.child("conv"), CLASSIC_WIDTH, keypoints, 1, 1, 0, true);
        }
    }

    public static VitPose load(Path folder, Device device, DataType dtype) {
        VitPoseConfig config = ModelFolder.config(folder, VitPoseConfig.class);
        return ModelFolder.load(folder, device, dtype, List.of(), (manager, weights) -> new VitPose(manager, weights.root(), config,
                VitPoseProcessor.load(folder, config.backboneConfig().width(), config.backboneConfig().height())));
    }

    /** The layout a config implies, on recorded (or random) weights. */
    public static VitPose build(WeightSet weights, VitPoseConfig config, NDManager manager) {
        return new VitPose(manager, weights.root(), config,
                VitPoseProcessor.load(null, config.backboneConfig().width(), config.backboneConfig().height()));
    }

    public VitPoseConfig config() {
        return config;
    }

    public VitPoseProcessor processor() {
        return processor;
    }

    public NDManager manager() {
        return manager;
    }

    /** Normalised crops [N, 3, height, width] of the person boxes (COCO x, y, w, h) in an image. */
    public NDArray pixelValues(NDManager m, BufferedImage image, List<float[]> boxes) {
        int plane = 3 * processor.width() * processor.height();
        float[] data = new float[boxes.size() * plane];
        for (int i = 0; i < boxes.size(); i++) {
            System.arraycopy(processor.crop(image, boxes.get(i)), 0, data, i * plane, plane);
        }
        return m.create(data, new Shape(boxes.size(), 3, processor.height(), processor.width()));
    }

    /** Heatmaps [N, keypoints, h, w] of crops [N, 3, height, width]. */
    public NDArray heatmaps(NDArray pixels) {
        return Scoped.apply(in -> {
            VitPoseConfig.Backbone b = config.backboneConfig();
            long batch = in[0].getShape().get(0);
            long dim = b.hiddenSize();
            NDArray embedded = patches.forward(in[0]);
            long rows = embedded.getShape().get(2);
            long cols = embedded.getShape().get(3);
            NDArray x = embedded.reshape(batch, dim, rows * cols).transpose(0, 2, 1).add(positions);
            for (int i = 0; i < outLayer; i++) {
                x = layers.get(i).forward(x);
            }
            NDArray features = norm.forward(x).transpose(0, 2, 1).reshape(batch, dim, rows, cols);
            if (simpleConv != null) {
                NDArray up = Interpolate.bilinear(features.getNDArrayInternal().relu(), rows * config.scaleFactor(),
                        cols * config.scaleFactor(), false);
                return simpleConv.forward(up);
            }
            NDArray y = batchNorm1.forward(deconv1.forward(features)).getNDArrayInternal().relu();
            y = batchNorm2.forward(deconv2.forward(y)).getNDArrayInternal().relu();
            return classicConv.forward(y);
        }, pixels);
    }

    /** Each box's keypoints in image pixels from heatmaps [N, K, h, w], as {@code post_process_pose_estimation}. */
    public List<VitPoseProcessor.Pose> poses(NDArray heatmaps, List<float[]> boxes, int kernel) {
        int n = (int) heatmaps.getShape().get(0);
        int k = (int) heatmaps.getShape().get(1);
        int h = (int) heatmaps.getShape().get(2);
        int w = (int) heatmaps.getShape().get(3);
        float[] all = heatmaps.toType(DataType.FLOAT32, false).toFloatArray();
        List<VitPoseProcessor.Pose> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            float[][] maps = new float[k][h * w];
            for (int j = 0; j < k; j++) {
                System.arraycopy(all, (i * k + j) * h * w, maps[j], 0, h * w);
            }
            out.add(processor.keypoints(maps, h, w, boxes.get(i), kernel));
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** x + attn(norm_before(x)), then + mlp(norm_after(x)). */
    private static final class Layer {
        private final LayerNorm before;
        /** query, key and value in one product. */
        private final Linear qkv;
        private final long dim;
        private final Linear output;
        private final LayerNorm after;
        private final Linear fc1;
        private final Linear fc2;
        private final UnaryOperator<NDArray> act;
        private final int heads;

        Layer(Parameters p, VitPoseConfig.Backbone b) {
            long dim = b.hiddenSize();
            this.heads = b.numAttentionHeads();
            this.before = new LayerNorm(p.child("layernorm_before"), dim, b.layerNormEps());
            Parameters attention = p.child("attention");
            Parameters self = attention.child("attention");
            this.qkv = Linear.stacked(List.of(self.child("query"), self.child("key"), self.child("value")), dim, dim, b.qkvBias());
            this.dim = dim;
            this.output = new Linear(attention.child("output").child("dense"), dim, dim, true);
            this.after = new LayerNorm(p.child("layernorm_after"), dim, b.layerNormEps());
            this.fc1 = new Linear(p.child("mlp").child("fc1"), dim, dim * b.mlpRatio(), true);
            this.fc2 = new Linear(p.child("mlp").child("fc2"), dim * b.mlpRatio(), dim, true);
            this.act = Activation.named(b.hiddenAct());
        }

        NDArray forward(NDArray x) {
            NDArray n = before.forward(x);
            NDArray projected = qkv.forward(n);
            x = x.add(output.forward(Attention.attend(projected.get(":, :, 0:" + dim), projected.get(":, :, " + dim + ":" + 2 * dim),
                    projected.get(":, :, " + 2 * dim + ":"), heads, null, null)));
            return x.add(fc2.forward(fc1.forward(after.forward(x), act)));
        }
    }
}
