package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

/** Nearest-neighbour resizing of NCHW feature maps, as torch's {@code interpolate(mode="nearest")}. */
final class Resize {
    private Resize() {
    }

    /** To [h, w]: source index floor(i * in / out) per axis (an exact 2x repeat when sizes double). */
    static NDArray nearest(NDArray x, long height, long width) {
        long inH = x.getShape().get(2);
        long inW = x.getShape().get(3);
        if (height == 2 * inH && width == 2 * inW) {
            return x.repeat(2, 2).repeat(3, 2);
        }
        NDArray rows = x.getManager().arange(0f, (float) height).mul((float) inH / height).floor().toType(ai.djl.ndarray.types.DataType.INT64, false);
        NDArray cols = x.getManager().arange(0f, (float) width).mul((float) inW / width).floor().toType(ai.djl.ndarray.types.DataType.INT64, false);
        return x.get(new NDIndex(":, :, {}", rows)).get(new NDIndex(":, :, :, {}", cols));
    }
}
