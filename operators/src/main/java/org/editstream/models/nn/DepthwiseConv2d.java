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
    private final NDArray bias;
    private final int kernel;
    private final int padding;

    public DepthwiseConv2d(Parameters p, long channels, int kernel, int padding, boolean bias) {
        NDArray weight = p.get("weight", channels, 1, kernel, kernel);
        NDArray b = bias ? p.get("bias", channels) : null;
        this.kernel = kernel;
        this.padding = padding;
        this.taps = new NDArray[kernel * kernel];
        if (weight != null) {
            for (int ky = 0; ky < kernel; ky++) {
                for (int kx = 0; kx < kernel; kx++) {
                    taps[ky * kernel + kx] = weight.get(":, 0, " + ky + ", " + kx).reshape(1, channels, 1, 1);
                }
            }
        }
        this.bias = b == null ? null : b.reshape(1, channels, 1, 1);
    }

    public NDArray forward(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        long outH = h + 2L * padding - kernel + 1;
        long outW = w + 2L * padding - kernel + 1;
        NDArray padded = padding == 0 ? x : x.pad(new Shape(padding, padding, padding, padding), 0);
        NDArray out = null;
        for (int ky = 0; ky < kernel; ky++) {
            for (int kx = 0; kx < kernel; kx++) {
                NDArray shifted = padded.get(":, :, " + ky + ":" + (ky + outH) + ", " + kx + ":" + (kx + outW));
                NDArray term = shifted.mul(taps[ky * kernel + kx]);
                if (out == null) {
                    out = term;
                } else {
                    out.addi(term);
                    term.close();
                }
            }
        }
        return bias == null ? out : out.addi(bias);
    }
}
