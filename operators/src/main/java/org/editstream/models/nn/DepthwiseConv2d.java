package org.editstream.models.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * Depth-wise 2-D convolution (one k x k filter per channel, stride 1, zero padding); {@code weight} [C, 1, k, k],
 * {@code bias} [C]. On NCHW input it is the sum of the k * k shifted copies of the padded input, each scaled per
 * channel: elementwise work that needs no convolution kernel, in the same arithmetic on every device. On
 * channels-last input it is libtorch's kernel, proven against those sums (oneDNN's kernels are the kind
 * {@link Conv2d} guards against on some CPUs).
 */
public final class DepthwiseConv2d {
    private static final PackedProof.Counters CHANNELS_LAST = new PackedProof.Counters();

    private final NDArray[] taps;
    private final NDArray[] tapsChannelsLast;
    private final NDArray bias;
    private final NDArray biasChannelsLast;
    private final NDArray weight;
    private final int kernel;
    private final int padding;
    private final PackedProof proof;
    /** Whether libtorch's kernel may run ({@link Conv2d#PACKED_PROPERTY} when the layer was built). */
    private final boolean kernelOn;

    public DepthwiseConv2d(Parameters p, long channels, int kernel, int padding, boolean bias) {
        NDArray weight = p.get("weight", channels, 1, kernel, kernel);
        NDArray b = bias ? p.get("bias", channels) : null;
        this.weight = weight;
        this.kernel = kernel;
        this.padding = padding;
        this.proof = new PackedProof(p.path("weight"), "the shifted sums", Conv2d.PACKED_PROPERTY, CHANNELS_LAST);
        this.kernelOn = Boolean.parseBoolean(System.getProperty(Conv2d.PACKED_PROPERTY, "true"));
        this.taps = new NDArray[kernel * kernel];
        this.tapsChannelsLast = new NDArray[kernel * kernel];
        if (weight != null) {
            for (int ky = 0; ky < kernel; ky++) {
                for (int kx = 0; kx < kernel; kx++) {
                    NDArray tap = weight.get(":, 0, " + ky + ", " + kx);
                    taps[ky * kernel + kx] = tap.reshape(1, channels, 1, 1);
                    tapsChannelsLast[ky * kernel + kx] = tap;
                }
            }
        }
        this.bias = b == null ? null : b.reshape(1, channels, 1, 1);
        this.biasChannelsLast = b;
    }

    /** [B, C, H, W] to [B, C, H', W']. */
    public NDArray forward(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray padded = padding == 0 ? x : x.pad(new Shape(padding, padding, padding, padding), 0);
        return shiftedSum(padded, taps, bias, h + 2L * padding - kernel + 1, w + 2L * padding - kernel + 1, ":, :, ", "");
    }

    /**
     * The same on channels-last input [B, H, W, C], giving [B, H', W', C]: for tokens [B, H*W, C] reshaped, with no
     * transposes. libtorch's channels-last depth-wise kernel computes it (one pass, where the shifted sums make 2k^2;
     * a 128-channel 128x128 layer took 0.6 against 44 ms here); on a CPU its first result at every input shape is proven
     * ({@link PackedProof}) against the shifted sums, which a layer that differs computes with from then on, as every
     * layer does with {@code -Deditstream.packed-convolution=false}.
     */
    public NDArray forwardChannelsLast(NDArray x) {
        if (!kernelOn || proof.fellBack()) {
            return shiftedSumChannelsLast(x);
        }
        NDArray out = Kernels.depthwiseChannelsLast(x, weight, biasChannelsLast, padding);
        if (!Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
            return out;
        }
        return proof.checked(x.getShape(), out, () -> shiftedSumChannelsLast(x), "depth-wise convolution " + weight.getShape() + " of");
    }

    private NDArray shiftedSumChannelsLast(NDArray x) {
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        NDArray padded = padding == 0 ? x : x.pad(new Shape(0, 0, padding, padding, padding, padding), 0);
        return shiftedSum(padded, tapsChannelsLast, biasChannelsLast, h + 2L * padding - kernel + 1,
                w + 2L * padding - kernel + 1, ":, ", ", :");
    }

    /** The sum of the k * k windows of a padded input, each scaled by its tap; the spatial axes indexed between prefix and suffix. */
    private NDArray shiftedSum(NDArray padded, NDArray[] scales, NDArray shift, long outH, long outW, String prefix, String suffix) {
        NDArray out = null;
        for (int ky = 0; ky < kernel; ky++) {
            for (int kx = 0; kx < kernel; kx++) {
                NDArray shifted = padded.get(prefix + ky + ":" + (ky + outH) + ", " + kx + ":" + (kx + outW) + suffix);
                NDArray term = shifted.mul(scales[ky * kernel + kx]);
                if (out == null) {
                    out = term;
                } else {
                    out.addi(term);
                    term.close();
                }
            }
        }
        return shift == null ? out : out.addi(shift);
    }
}
