package org.editstream.imaging;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;

import static org.bytedeco.opencv.global.opencv_core.BORDER_DEFAULT;
import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_32FC1;
import static org.bytedeco.opencv.global.opencv_imgproc.Sobel;

/**
 * A depth estimate of an image, row-major, {@code width} x {@code height}: relative inverse depth (larger is nearer,
 * as Depth Anything and MiDaS give it, up to an unknown scale and shift), and its renderings as ControlNet's annotators
 * draw them for its depth and normal models.
 */
public record DepthMap(float[] values, int width, int height) {
    /** The normal rendering's z component before normalisation (ControlNet's {@code a}). */
    public static final double NORMAL_Z = 2 * Math.PI;
    /** Where the normalised depth is below this, the normal rendering treats the pixel as background and faces it to the camera. */
    public static final double NORMAL_BACKGROUND = 0.1;

    public DepthMap {
        if (values.length != (long) width * height) {
            throw new IllegalArgumentException(values.length + " values for a " + width + "x" + height + " map");
        }
    }

    /** The depth scaled to [0, 1] by its own minimum and maximum (all zeros when it is flat). */
    public float[] normalised() {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = max - min;
        float[] out = new float[values.length];
        if (range > 0) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (values[i] - min) / range;
            }
        }
        return out;
    }

    /**
     * ControlNet's depth map: the normalised depth times 255, clipped and truncated to 8 bits, as a grey image (near is
     * bright).
     */
    public BufferedImage depthImage() {
        float[] n = normalised();
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        int[] rgb = new int[n.length];
        for (int i = 0; i < n.length; i++) {
            int v = (int) Math.max(0, Math.min(255, n[i] * 255f));
            rgb[i] = (v << 16) | (v << 8) | v;
        }
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /**
     * ControlNet's normal map from the depth: x and y are OpenCV's 3x3 Sobel derivatives of the depth along x and y,
     * zero where the normalised depth is below {@link #NORMAL_BACKGROUND}; z is {@link #NORMAL_Z}; the vector (x, y, z)
     * scaled to unit length is drawn as red, green and blue, each {@code v * 127.5 + 127.5} clipped and truncated to 8
     * bits. A flat region is (127, 127, 255), a face turned towards +x is redder.
     */
    public BufferedImage normalImage() {
        float[] gx = sobel(1, 0);
        float[] gy = sobel(0, 1);
        float[] n = normalised();
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        int[] rgb = new int[n.length];
        for (int i = 0; i < n.length; i++) {
            double x = n[i] < NORMAL_BACKGROUND ? 0 : gx[i];
            double y = n[i] < NORMAL_BACKGROUND ? 0 : gy[i];
            double length = Math.sqrt(x * x + y * y + NORMAL_Z * NORMAL_Z);
            rgb[i] = (byte8(x / length) << 16) | (byte8(y / length) << 8) | byte8(NORMAL_Z / length);
        }
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /**
     * The structure distance of two depth maps of one size: the mean absolute difference of their normalised depths,
     * in [0, 1] (0 for the same layout, whatever the scale and shift of either estimate).
     */
    public double l1(DepthMap other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("depth maps of " + width + "x" + height + " and " + other.width + "x" + other.height);
        }
        float[] a = normalised();
        float[] b = other.normalised();
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += Math.abs(a[i] - b[i]);
        }
        return sum / a.length;
    }

    private static int byte8(double v) {
        return (int) Math.max(0, Math.min(255, v * 127.5 + 127.5));
    }

    /** OpenCV's Sobel (3x3, BORDER_REFLECT_101) of the raw depth, as the annotator computes it. */
    private float[] sobel(int dx, int dy) {
        try (Mat src = new Mat(height, width, CV_32FC1); Mat dst = new Mat()) {
            new FloatPointer(src.data()).put(values);
            Sobel(src, dst, CV_32F, dx, dy, 3, 1, 0, BORDER_DEFAULT);
            float[] out = new float[values.length];
            new FloatPointer(dst.data()).get(out);
            return out;
        }
    }
}
