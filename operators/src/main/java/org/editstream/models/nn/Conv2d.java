package org.editstream.models.nn;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * 2-D convolution, NCHW; {@code weight} [out, in, k, k], {@code bias} [out] unless the layer has none.
 *
 * <p>On a CPU, two things differ from a plain call of libtorch's convolution, both because of what its oneDNN
 * kernels do (the README's engine section has the measurements):
 * <ul>
 *   <li><b>Whole channel blocks.</b> libtorch 2.7.1's oneDNN (3.7.1) direct convolution gives wrong numbers, or NaN,
 *   on some CPUs (an AMD EPYC of family 26) for 3x3 layers whose input channels are more than one vector block and
 *   not a multiple of it (24, 33, 40 channels with AVX-512's 16; 12 and 33 with AVX2's 8), with dense weights as
 *   with packed ones. Such a layer convolves zero-padded channels: its weights gain zero input channels up to the
 *   next multiple of {@value #CHANNEL_BLOCK} once, and every input gains zero channels per call, which leaves the
 *   result as it is and gives oneDNN whole blocks.</li>
 *   <li><b>Packed weights, proven.</b> In float32, the first call packs the weights once into the blocked layout
 *   oneDNN's kernel reads ({@link Kernels#packConvolution}); libtorch's own convolution reorders them on every
 *   call. The first packed result for every input shape is proven ({@link PackedProof}) against libtorch's im2col
 *   convolution of the same input ({@link Kernels#referenceConvolution}, no oneDNN involved). So the dense weights
 *   stay beside the packed ones. Calls with more than {@value #PACKED_MAX_POSITIONS} output positions, where the
 *   reorder is a small part of the work, compute on the dense weights and need no proof.</li>
 * </ul>
 * On a GPU it is libtorch's convolution (cuDNN). {@code -Deditstream.packed-convolution=false}, read when a layer is
 * built, keeps it on dense weights (still on whole channel blocks on a CPU).
 */
public final class Conv2d {
    /** System property that, set to {@code false}, keeps every convolution built after it on the dense weights. */
    public static final String PACKED_PROPERTY = "editstream.packed-convolution";
    /** On a CPU, input channels are padded to a multiple of this (oneDNN's AVX-512 float32 block, two AVX2 blocks)... */
    static final int CHANNEL_BLOCK = 16;
    /** ...unless they are at most this many, which oneDNN's kernels for first layers take as they are. */
    static final int FEW_CHANNELS = 8;
    /**
     * Calls with more output positions (batch x rows x columns) than this compute on the dense weights. Packing saves
     * libtorch's reorder of the weights on every call, which costs about the same whatever the input's size: measured
     * on SD-1.5's 3x3 layers here, packed calls were 99% - 27% faster at 32 - 512 positions, 3% at 2048, 1% at 4096 and
     * 7% slower at 16384, while proving a large shape and oneDNN's buffers for it cost gigabytes (the README's
     * TaskManager memory). So the VAE at 512x512 and the UNet's outer levels there stay dense.
     */
    static final long PACKED_MAX_POSITIONS = 2048;
    private static final PackedProof.Counters PACKING = new PackedProof.Counters();
    private static final AtomicInteger PADDED = new AtomicInteger();

    private final String name;
    private final NDArray weight;
    private final NDArray bias;
    private final int strideSize;
    private final int paddingSize;
    private final Shape stride;
    private final Shape padding;
    private final PackedKernel kernel;
    /** Whether packing was on when this layer was built. */
    private final boolean packing;
    /** Input channels on a CPU: {@code in}, or the next multiple of the block. */
    private final long blockedChannels;
    private final AtomicBoolean countedAsPadded = new AtomicBoolean();
    private final PackedProof proof;
    /** The weights with zero input channels up to {@link #blockedChannels}, made on the first CPU call that needs them. */
    private volatile NDArray blockedWeight;
    private volatile TorchScript.Value packed;

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding) {
        this(p, in, out, kernel, stride, padding, true);
    }

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding, boolean bias) {
        this(p, in, out, kernel, stride, padding, bias, PackedKernel.ONEDNN);
    }

    /** With the packing kernels given: tests prove the fallback with a kernel that is wrong on purpose. */
    Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding, boolean bias, PackedKernel packing) {
        this.name = p.path("weight");
        this.weight = p.get("weight", out, in, kernel, kernel);
        this.bias = bias ? p.get("bias", out) : null;
        this.strideSize = stride;
        this.paddingSize = padding;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
        this.kernel = packing;
        this.packing = Boolean.parseBoolean(System.getProperty(PACKED_PROPERTY, "true"));
        this.proof = new PackedProof(name, "libtorch's im2col convolution", PACKED_PROPERTY, PACKING);
        this.blockedChannels = in <= FEW_CHANNELS || in % CHANNEL_BLOCK == 0 ? in : (in / CHANNEL_BLOCK + 1) * CHANNEL_BLOCK;
    }

    public NDArray forward(NDArray x) {
        NDArray y = compute(x);
        Shape w = weight.getShape();
        Flops.add(Flops.convolution(y.size(), w.get(1), w.get(2) * w.get(3)));
        return y;
    }

    private NDArray compute(NDArray x) {
        if (!isOnCpu(x) || !isOnCpu(weight)) {
            return dense(x, weight);
        }
        if (proof.fellBack()) {
            return reference(x);
        }
        NDArray input = blocked(x);
        try {
            if (!packing || !inFloat32(x) || !inFloat32(weight) || Kernels.convolutionPacking() != null
                    || outputPositions(x.getShape()) > PACKED_MAX_POSITIONS) {
                return dense(input, blockedWeight());
            }
            TorchScript.Value weights = packed != null ? packed : pack(input.getShape());
            if (weights == null) {
                return reference(x);
            }
            return proof.checked(x.getShape(), kernel.run(input, weights), () -> reference(x),
                    "packed convolution " + weight.getShape() + " of");
        } finally {
            if (input != x) {
                input.close();
            }
        }
    }

    /** Whether this convolution computes with packed weights (after its first call on a CPU, unless it fell back). */
    boolean isPacked() {
        return packed != null && !proof.fellBack();
    }

    /** Whether a packed result of this layer differed from the reference, so it computes with the reference. */
    boolean fellBack() {
        return proof.fellBack();
    }

    /** Whether this layer's inputs gain zero channels on a CPU. */
    boolean padsChannels() {
        return blockedChannels != weight.getShape().get(1);
    }

    /** How convolutions are computed on a CPU in this JVM, for start-up lines and benchmarks. */
    public static String onCpu() {
        if (!Boolean.parseBoolean(System.getProperty(PACKED_PROPERTY, "true"))) {
            return "dense weights (-D" + PACKED_PROPERTY + "=false), whole channel blocks";
        }
        String unavailable = Kernels.convolutionPacking();
        return unavailable == null ? "weights packed for oneDNN, proven per input shape, whole channel blocks"
                : "dense weights (packing unavailable: " + unavailable + "), whole channel blocks";
    }

    /** The convolution layers of this JVM that have run on a CPU, by how they compute. */
    public static Census census() {
        return new Census(PACKING.packed(), PACKING.fellBack(), PADDED.get());
    }

    /**
     * @param packed   layers computing with packed weights
     * @param fellBack layers whose packed result differed from the reference, now computing with the reference
     * @param padded   layers whose inputs gain zero channels up to whole blocks (packed or not)
     */
    public record Census(int packed, int fellBack, int padded) {
        @Override
        public String toString() {
            return packed + " packed, " + fellBack + " fell back to the im2col reference after a mismatch, " + padded
                    + " on zero-padded input channels";
        }
    }

    private NDArray dense(NDArray x, NDArray w) {
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, bias, stride, padding, new Shape(1, 1), 1).singletonOrThrow();
    }

    private NDArray reference(NDArray x) {
        return Kernels.referenceConvolution(x, weight, bias, strideSize, paddingSize);
    }

    /** x with zero channels up to whole blocks, or x itself. */
    private NDArray blocked(NDArray x) {
        if (!padsChannels()) {
            return x;
        }
        if (countedAsPadded.compareAndSet(false, true)) {
            PADDED.incrementAndGet();
        }
        return Kernels.padChannels(x, blockedChannels);
    }

    private NDArray blockedWeight() {
        if (!padsChannels()) {
            return weight;
        }
        NDArray w = blockedWeight;
        if (w == null) {
            synchronized (this) {
                if (blockedWeight == null) {
                    blockedWeight = Kernels.padChannels(weight, blockedChannels);
                }
                w = blockedWeight;
            }
        }
        return w;
    }

    /** Output rows times columns times batch of an input of this shape. */
    private long outputPositions(Shape input) {
        long kernelSize = weight.getShape().get(2);
        long height = (input.get(2) + 2L * paddingSize - kernelSize) / strideSize + 1;
        long width = (input.get(3) + 2L * paddingSize - kernelSize) / strideSize + 1;
        return input.get(0) * height * width;
    }

    private static boolean isOnCpu(NDArray a) {
        return Device.Type.CPU.equals(a.getDevice().getDeviceType());
    }

    private static boolean inFloat32(NDArray a) {
        return a.getDataType() == DataType.FLOAT32;
    }

    /** Packs the weights for inputs of {@code input}'s size, once; concurrent first calls wait for it. */
    private synchronized TorchScript.Value pack(Shape input) {
        if (packed == null && !proof.fellBack()) {
            NDArray w = blockedWeight();
            try {
                packed = kernel.pack(w, bias, strideSize, paddingSize, input);
            } catch (EngineException e) {
                proof.fallBack("oneDNN could not pack " + name + " " + w.getShape() + " for input " + input + ": " + e.getMessage());
            }
        }
        return proof.fellBack() ? null : packed;
    }

    /** How packed weights are made and used: oneDNN's prepacked convolution unless a test says otherwise. */
    interface PackedKernel {
        PackedKernel ONEDNN = new PackedKernel() {
            @Override
            public TorchScript.Value pack(NDArray weight, NDArray bias, int stride, int padding, Shape input) {
                return Kernels.packConvolution(weight, bias, stride, padding, input);
            }

            @Override
            public NDArray run(NDArray x, TorchScript.Value packed) {
                return Kernels.packedConvolution(x, packed);
            }
        };

        TorchScript.Value pack(NDArray weight, NDArray bias, int stride, int padding, Shape input);

        NDArray run(NDArray x, TorchScript.Value packed);
    }
}
