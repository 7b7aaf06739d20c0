package org.editstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.awt.image.BufferedImage;

/** Images to and from float tensors [1, 3, H, W] with values in [0, 1] (RGB, NCHW). */
public final class ImageTensors {
    private ImageTensors() {
    }

    public static NDArray fromImage(NDManager manager, BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        float[] data = new float[3 * w * h];
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        int plane = w * h;
        for (int i = 0; i < plane; i++) {
            data[i] = ((rgb[i] >> 16) & 0xFF) / 255f;
            data[plane + i] = ((rgb[i] >> 8) & 0xFF) / 255f;
            data[2 * plane + i] = (rgb[i] & 0xFF) / 255f;
        }
        return manager.create(data, new Shape(1, 3, h, w));
    }

    /** The first image of a [N, 3, H, W] tensor in [0, 1] (clamped, rounded to 8 bits). */
    public static BufferedImage toImage(NDArray tensor) {
        Shape s = tensor.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        float[] data = tensor.get(0).toType(DataType.FLOAT32, false).toFloatArray();
        int plane = w * h;
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            rgb[i] = 0xFF000000 | (byte8(data[i]) << 16) | (byte8(data[plane + i]) << 8) | byte8(data[2 * plane + i]);
        }
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, w, h, rgb, 0, w);
        return image;
    }

    private static int byte8(float v) {
        return Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
    }
}
