package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * What each feature level knows of the padding, as Grounding DINO computes it: the pixel mask resized to the
 * level by nearest neighbour (torch's {@code interpolate}: source index floor(i * in / out) in float), and the sine
 * position embedding of that mask (DETR's, normalised by the mask's extent, temperature from the config).
 */
public final class LevelPositions {
    private LevelPositions() {
    }

    /** The pixel mask [B, H, W] (1 = image, 0 = padding) at {@code height} x {@code width}, as 0/1 int64. */
    public static NDArray mask(NDArray pixelMask, long height, long width) {
        long inH = pixelMask.getShape().get(1);
        long inW = pixelMask.getShape().get(2);
        NDManager m = pixelMask.getManager();
        NDArray rows = m.create(nearest(inH, height));
        NDArray columns = m.create(nearest(inW, width));
        return pixelMask.get(new ai.djl.ndarray.index.NDIndex(":, {}, :", rows)).get(new ai.djl.ndarray.index.NDIndex(":, :, {}", columns));
    }

    private static long[] nearest(long in, long out) {
        float scale = (float) in / out;
        long[] index = new long[(int) out];
        for (int i = 0; i < out; i++) {
            index[i] = Math.min((long) Math.floor(i * scale), in - 1);
        }
        return index;
    }

    /**
     * The sine position embedding [B, 2 * half, h, w] of a level's mask [B, h, w]: for y then x, the cumulative
     * count of image pixels along the axis, divided by the axis's total and times 2 pi, over temperature^(2 floor(i/2)
     * / half), sines at even channels and cosines at odd ones.
     */
    public static NDArray embedding(NDArray mask, int half, double temperature) {
        NDArray m = mask.toType(DataType.FLOAT32, false);
        float eps = 1e-6f;
        float scale = (float) (2 * Math.PI);
        long h = m.getShape().get(1);
        long w = m.getShape().get(2);
        NDArray y = m.cumSum(1);
        NDArray x = m.cumSum(2);
        y = y.div(y.get(":, " + (h - 1) + ":, :").add(eps)).mul(scale);
        x = x.div(x.get(":, :, " + (w - 1) + ":").add(eps)).mul(scale);
        float[] dim = new float[half];
        for (int i = 0; i < half; i++) {
            dim[i] = (float) Math.pow(temperature, 2.0 * (i / 2) / half);
        }
        NDArray dims = mask.getManager().create(dim, new Shape(half));
        return NDArrays.concat(new NDList(interleave(y.expandDims(3).div(dims)), interleave(x.expandDims(3).div(dims))), 3)
                .transpose(0, 3, 1, 2);
    }

    /** [B, h, w, half] angles to sin of the even channels and cos of the odd ones, in place of each. */
    private static NDArray interleave(NDArray angles) {
        Shape s = angles.getShape();
        NDArray sines = angles.get(":, :, :, 0::2").sin();
        NDArray cosines = angles.get(":, :, :, 1::2").cos();
        return NDArrays.stack(new NDList(sines, cosines), 4).reshape(s);
    }
}
