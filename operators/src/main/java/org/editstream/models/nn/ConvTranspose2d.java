package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

/**
 * 2-D transposed convolution, NCHW; {@code weight} [in, out, k, k] (torch's layout), {@code bias} [out] unless the
 * layer has none. When the kernel equals the stride and there is no padding (the upsampling layers of SAM's mask
 * decoder and the DPT head), every input pixel writes its own k x k block of the output, so the layer is one matrix
 * product, [B*H*W, in] x [in, out*k*k], and a rearrangement; other shapes go through libtorch's transposed
 * convolution.
 */
public final class ConvTranspose2d {
    private final NDArray weight;
    private final NDArray bias;
    private final NDArray biasPerChannel;
    private final long out;
    private final int kernel;
    private final int stride;
    private final int padding;
    /** The weights as [in, out*k*k] for the patch-wise case, else null. */
    private final NDArray patchwise;
    /** The same as [in, k*k*out], for channels-last inputs. */
    private final NDArray patchwiseChannelsLast;

    public ConvTranspose2d(Parameters p, long in, long out, int kernel, int stride, int padding, boolean bias) {
        this.weight = p.get("weight", in, out, kernel, kernel);
        NDArray b = bias ? p.get("bias", out) : null;
        this.bias = b;
        this.biasPerChannel = b == null ? null : b.reshape(1, out, 1, 1);
        this.out = out;
        this.kernel = kernel;
        this.stride = stride;
        this.padding = padding;
        this.patchwise = weight != null && kernel == stride && padding == 0 ? weight.reshape(in, out * kernel * kernel) : null;
        this.patchwiseChannelsLast = patchwise == null ? null : weight.transpose(0, 2, 3, 1).reshape(in, kernel * kernel * out).duplicate();
    }

    /**
     * The patch-wise layer on channels-last input [B, H, W, in], giving [B, k*H, k*W, out] channels-last: for a chain
     * of layers with channel norms between them, which then need no transposes.
     */
    public NDArray forwardChannelsLast(NDArray x) {
        if (patchwiseChannelsLast == null) {
            throw new IllegalStateException("channels-last is only for kernel = stride and no padding");
        }
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        NDArray y = x.matMul(patchwiseChannelsLast) // [B, H, W, k*k*out]
                .reshape(b, h, w, kernel, kernel, out)
                .transpose(0, 1, 3, 2, 4, 5)
                .reshape(b, h * kernel, w * kernel, out);
        return bias == null ? y : y.addi(bias);
    }

    public NDArray forward(NDArray x) {
        if (patchwise == null) {
            Shape s = new Shape(stride, stride);
            Shape pad = new Shape(padding, padding);
            return ai.djl.nn.convolutional.Conv2dTranspose.conv2dTranspose(x, weight, bias, s, pad, new Shape(0, 0),
                    new Shape(1, 1), 1).singletonOrThrow();
        }
        long b = x.getShape().get(0);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray y = x.transpose(0, 2, 3, 1).matMul(patchwise) // [B, H, W, out*k*k]
                .reshape(b, h, w, out, kernel, kernel)
                .transpose(0, 3, 1, 4, 2, 5)
                .reshape(b, out, h * kernel, w * kernel);
        return biasPerChannel == null ? y : y.addi(biasPerChannel);
    }
}
