package org.editstream.models.nn;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * y = x W^T + b over the last axis; {@code weight} [out, in], {@code bias} [out] when present.
 *
 * <p>On a CPU in float32, the first call with at least {@link #MIN_PACKED_PRODUCT} multiply-adds reorders the weights once for oneDNN's matrix product
 * ({@link Kernels#packLinear}), whose AVX-512 kernels took a ViT-B layer's products in 2.2 to 2.8 times less time than
 * libtorch's own linear (MKL, whose kernels on the AMD CPU here are its AVX2 ones). As packed convolutions are, the
 * first packed result for every input shape is proven ({@link PackedProof}) against libtorch's linear of the same input;
 * a layer that differs computes with it from then on. So the dense weights stay beside the packed ones.
 * {@code -Deditstream.packed-linear=false}, read when a layer is built, keeps it on the dense weights. On a GPU, and in
 * other precisions, it is libtorch's linear.
 */
public final class Linear {
    /** System property that, set to {@code false}, keeps every linear layer built after it on the dense weights. */
    public static final String PACKED_PROPERTY = "editstream.packed-linear";
    /**
     * Products of fewer multiply-adds (rows x in x out) than this stay on libtorch's linear: below it the packed call's
     * fixed cost (TorchScript, oneDNN's primitive) outweighed its faster kernel here (64 rows 256 -> 256: 0.3 against
     * 0.1 ms; 4096 rows 64 -> 64: 0.9 against 0.4 ms), and one-row products were among those it got wrong.
     */
    static final long MIN_PACKED_PRODUCT = 1L << 25;
    private static final PackedProof.Counters PACKING = new PackedProof.Counters();

    private final String name;
    private final NDArray weight;
    private final NDArray bias;
    private final boolean packing;
    private final PackedProof proof;
    private volatile TorchScript.Value packed;

    public Linear(Parameters p, long in, long out, boolean bias) {
        this(p.path("weight"), p.get("weight", out, in), bias ? p.get("bias", out) : null);
    }

    private Linear(String name, NDArray weight, NDArray bias) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.packing = Boolean.parseBoolean(System.getProperty(PACKED_PROPERTY, "true"));
        this.proof = new PackedProof(name, "libtorch's linear", PACKED_PROPERTY, PACKING);
    }

    /**
     * Layers that read the same input as one: their weights stacked along the output axis (in the given order), so the
     * input is read by one matrix product whose output the caller slices. The stored arrays are freed once stacked.
     */
    public static Linear stacked(List<Parameters> layers, long in, long outEach, boolean bias) {
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> biases = new ArrayList<>();
        for (Parameters p : layers) {
            weights.add(p.get("weight", outEach, in));
            biases.add(bias ? p.get("bias", outEach) : null);
        }
        String name = layers.get(0).path("weight") + " (stacked with " + (layers.size() - 1) + " more)";
        if (weights.get(0) == null) { // recording the layout
            return new Linear(name, null, null);
        }
        NDArray weight = NDArrays.concat(new NDList(weights), 0);
        NDArray b = bias ? NDArrays.concat(new NDList(biases), 0) : null;
        weights.forEach(NDArray::close);
        if (bias) {
            biases.forEach(NDArray::close);
        }
        return new Linear(name, weight, b);
    }

    /**
     * A biased 1x1 convolution's weights ([out, in, 1, 1], as stored) as the linear layer it is over channels-last
     * tokens: [B, H*W, in] to [B, H*W, out] is one matrix product, where the convolution over [B, in, H, W] is a
     * slower kernel and the tokens need a transposing copy after it anyway.
     */
    public static Linear pointwiseConvolution(Parameters p, long in, long out) {
        NDArray weight = p.get("weight", out, in, 1, 1);
        return new Linear(p.path("weight"), weight == null ? null : weight.reshape(out, in), p.get("bias", out));
    }

    public NDArray forward(NDArray x) {
        countFlops(x);
        return product(x, packedFor(x));
    }

    /**
     * activation(x W^T + b). Where the layer computes with packed weights and oneDNN has the activation as a post-op
     * ({@link Activation.Function#fused()}), the product applies it as it writes its output, which saves a pass over
     * the output (an MLP's widest array); that kernel is proven per input shape on its own, against the dense product
     * and then the activation.
     */
    public NDArray forward(NDArray x, UnaryOperator<NDArray> activation) {
        countFlops(x);
        TorchScript.Value w = packedFor(x);
        if (w == null || !(activation instanceof Activation.Function f) || f.fused() == null) {
            return activation.apply(product(x, w));
        }
        return proof.checked(x.getShape(), f.name(), Kernels.packedLinear(x, w, bias, f.fused(), f.algorithm()),
                () -> activation.apply(dense(x)), "packed linear " + weight.getShape() + " with " + f.name() + " of");
    }

    /** x W^T + b: packed (and proven for x's shape) where {@code w} is the packed weights, dense where it is null. */
    private NDArray product(NDArray x, TorchScript.Value w) {
        return w == null ? dense(x) : proof.checked(x.getShape(), Kernels.packedLinear(x, w, bias), () -> dense(x),
                "packed linear " + weight.getShape() + " of");
    }

    private void countFlops(NDArray x) {
        if (!x.isEmpty()) {
            Flops.add(Flops.linear(x.size() / x.getShape().tail(), weight.getShape().get(1), weight.getShape().get(0)));
        }
    }

    /** The packed weights to compute x with, or null where the layer computes with the dense ones. */
    private TorchScript.Value packedFor(NDArray x) {
        if (!packing || x.isEmpty() || proof.fellBack() || !onCpuInFloat32(x) || !onCpuInFloat32(weight) || Kernels.linearPacking() != null) {
            return null;
        }
        long rows = x.size() / x.getShape().tail();
        if (rows * weight.getShape().get(0) * weight.getShape().get(1) < MIN_PACKED_PRODUCT) {
            return null;
        }
        return packed != null ? packed : pack(rows);
    }

    /** Whether this layer computes with packed weights (after its first call on a CPU, unless it fell back). */
    boolean isPacked() {
        return packed != null && !proof.fellBack();
    }

    boolean fellBack() {
        return proof.fellBack();
    }

    /** How linear layers are computed on a CPU in this JVM, for start-up lines and benchmarks. */
    public static String onCpu() {
        if (!Boolean.parseBoolean(System.getProperty(PACKED_PROPERTY, "true"))) {
            return "dense weights (-D" + PACKED_PROPERTY + "=false)";
        }
        String unavailable = Kernels.linearPacking();
        return unavailable == null ? "weights packed for oneDNN, proven per input shape"
                : "dense weights (packing unavailable: " + unavailable + ")";
    }

    /** Linear layers of this JVM computing with packed weights, and those that fell back after a mismatch. */
    public static String census() {
        return PACKING.packed() + " packed, " + PACKING.fellBack() + " fell back to libtorch's linear after a mismatch";
    }

    /**
     * libtorch's product on the dense weights, over x's rows as one matrix: DJL calls the C++ frontend's linear, which
     * adds the bias in a second pass over the output unless its input is a matrix (then one addmm).
     */
    private NDArray dense(NDArray x) {
        Shape s = x.getShape();
        NDArray rows = s.dimension() == 2 ? x : x.reshape(-1, s.tail());
        NDArray y = bias == null ? ai.djl.nn.core.Linear.linear(rows, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(rows, weight, bias).singletonOrThrow();
        return s.dimension() == 2 ? y : y.reshape(s.slice(0, s.dimension() - 1).add(weight.getShape().get(0)));
    }

    private static boolean onCpuInFloat32(NDArray a) {
        return Device.Type.CPU.equals(a.getDevice().getDeviceType()) && a.getDataType() == DataType.FLOAT32;
    }

    /** Packs the weights for inputs of {@code rows} rows, once; concurrent first calls wait for it. */
    private synchronized TorchScript.Value pack(long rows) {
        if (packed == null && !proof.fellBack()) {
            try {
                packed = Kernels.packLinear(weight, rows);
            } catch (EngineException e) {
                proof.fallBack("oneDNN could not pack " + name + " " + weight.getShape() + ": " + e.getMessage());
            }
        }
        return proof.fellBack() ? null : packed;
    }
}
