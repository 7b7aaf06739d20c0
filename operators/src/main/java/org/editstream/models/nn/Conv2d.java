package org.editstream.models.nn;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Parameters;

/**
 * 2-D convolution, NCHW; {@code weight} [out, in, k, k], {@code bias} [out] unless the layer has none.
 *
 * <p>On a CPU (float32), the first call packs the weights once into the blocked layout oneDNN's kernel reads
 * ({@link Kernels#packConvolution}) and releases the dense copy; every call after that convolves with the packed
 * weights. libtorch's own convolution reorders the weights on every call, which is most of a small convolution's
 * cost beyond the arithmetic and, for SD's 640- to 2560-channel ones, megabytes of copying per call (see the
 * README's engine benchmark). Elsewhere (a GPU, half precision, a libtorch without oneDNN, or
 * {@code -Deditstream.packed-convolution=false}) it is libtorch's convolution on the dense weights.
 */
public final class Conv2d {
    /** System property that, set to {@code false}, keeps every convolution on libtorch's dense-weight kernel. */
    public static final String PACKED_PROPERTY = "editstream.packed-convolution";
    private static final boolean PACK = Boolean.parseBoolean(System.getProperty(PACKED_PROPERTY, "true"));

    /** The dense weights until they are packed, then null (their storage is released). */
    private volatile NDArray weight;
    private volatile TorchScript.Value packed;
    private final NDArray bias;
    private final int strideSize;
    private final int paddingSize;
    private final Shape stride;
    private final Shape padding;

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding) {
        this(p, in, out, kernel, stride, padding, true);
    }

    public Conv2d(Parameters p, long in, long out, int kernel, int stride, int padding, boolean bias) {
        this.weight = p.get("weight", out, in, kernel, kernel);
        this.bias = bias ? p.get("bias", out) : null;
        this.strideSize = stride;
        this.paddingSize = padding;
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
    }

    public NDArray forward(NDArray x) {
        TorchScript.Value weights = packed;
        boolean packable = packs(x);
        if (weights == null && packable) {
            weights = pack(x.getShape());
        }
        if (weights != null) {
            if (!packable) {
                throw new EngineException("convolution weights packed for float32 on the CPU, called with "
                        + x.getDataType() + " on " + x.getDevice());
            }
            return Kernels.packedConvolution(x, weights);
        }
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /** Whether this convolution's weights are packed (after its first call on a CPU). */
    boolean isPacked() {
        return packed != null;
    }

    /** How convolutions are computed on a CPU in this JVM, for start-up lines and benchmarks. */
    public static String onCpu() {
        if (!PACK) {
            return "dense weights (-D" + PACKED_PROPERTY + "=false)";
        }
        String unavailable = Kernels.convolutionPacking();
        return unavailable == null ? "weights packed for oneDNN" : "dense weights (packing unavailable: " + unavailable + ")";
    }

    private boolean packs(NDArray x) {
        NDArray dense = weight;
        return PACK && onCpuInFloat32(x) && (dense == null || onCpuInFloat32(dense)) && Kernels.convolutionPacking() == null;
    }

    private static boolean onCpuInFloat32(NDArray a) {
        return Device.Type.CPU.equals(a.getDevice().getDeviceType()) && a.getDataType() == DataType.FLOAT32;
    }

    /** Packs the weights for inputs of {@code input}'s size, once; concurrent first calls wait for it. */
    private synchronized TorchScript.Value pack(Shape input) {
        if (packed == null) {
            NDArray dense = weight;
            long bytes = dense.getShape().size() * dense.getDataType().getNumOfBytes();
            try {
                packed = Kernels.packConvolution(dense, bias, strideSize, paddingSize, input);
            } catch (EngineException e) {
                throw new EngineException("oneDNN could not pack " + dense.getShape() + " convolution weights for input "
                        + input + " (-D" + PACKED_PROPERTY + "=false convolves with dense weights): " + e.getMessage(), e);
            }
            weight = null;
            dense.close();
            NativeAllocator.released(bytes);
        }
        return packed;
    }
}
