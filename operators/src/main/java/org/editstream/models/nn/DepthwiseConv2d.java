package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * Depth-wise 2-D convolution (one k x k filter per channel, stride 1, zero padding), NCHW; {@code weight} [C, 1, k, k],
 * {@code bias} [C]. Computed as the sum of the k * k shifted copies of the padded input, each scaled per channel:
 * elementwise work that needs no convolution kernel (oneDNN's grouped kernels are the kind {@link Conv2d} guards
 * against on some CPUs), in the same arithmetic on every device.
 */
public final class DepthwiseConv2d {
    private final NDArray[] taps;
    private final NDArray[] tapsChannelsLast;
    private final NDArray bias;
    private final NDArray biasChannelsLast;
    private final int kernel;
    private final int padding;

    public DepthwiseConv2d(Parameters p, long channels, int kernel, int padding, boolean bias) {
        NDArray weight = p.get("weight", channels, 1, kernel, kernel);
        NDArray b = bias ? p.get("bias", channels) : null;
        this.kernel = kernel;
        this.padding = padding;
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
     * transposes, each tap a per-channel scale along the contiguous axis.
     */
    public NDArray forwardChannelsLast(NDArray x) {
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
