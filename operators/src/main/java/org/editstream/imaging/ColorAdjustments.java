package org.editstream.imaging;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Size;

import java.awt.image.BufferedImage;

import static org.bytedeco.opencv.global.opencv_core.CV_32F;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.LUT;
import static org.bytedeco.opencv.global.opencv_core.addWeighted;
import static org.bytedeco.opencv.global.opencv_core.merge;
import static org.bytedeco.opencv.global.opencv_core.split;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2HSV_FULL;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_HSV2BGR_FULL;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.filter2D;

/**
 * Photometric edits without models, with the semantics of PIL's ImageEnhance (as torchvision's ColorJitter
 * uses them): a factor of 1 leaves the image unchanged.
 */
public final class ColorAdjustments {
    private ColorAdjustments() {
    }

    /** Scales every channel by {@code factor} (> 1 brighter). */
    public static BufferedImage brightness(BufferedImage image, double factor) {
        try (Mat src = OpenCvBridge.toMat(image); Mat dst = new Mat()) {
            src.convertTo(dst, -1, factor, 0);
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Blends with the mean grey level (> 1 more contrast). */
    public static BufferedImage contrast(BufferedImage image, double factor) {
        try (Mat src = OpenCvBridge.toMat(image); Mat grey = new Mat(); Mat dst = new Mat()) {
            cvtColor(src, grey, COLOR_BGR2GRAY);
            double mean = org.bytedeco.opencv.global.opencv_core.mean(grey).get(0);
            src.convertTo(dst, -1, factor, mean * (1 - factor));
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Blends with the grey version of the image (0 grey, > 1 more saturated). */
    public static BufferedImage saturation(BufferedImage image, double factor) {
        try (Mat src = OpenCvBridge.toMat(image); Mat grey = new Mat(); Mat grey3 = new Mat(); Mat dst = new Mat()) {
            cvtColor(src, grey, COLOR_BGR2GRAY);
            cvtColor(grey, grey3, COLOR_GRAY2BGR);
            addWeighted(src, factor, grey3, 1 - factor, 0, dst);
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Rotates the hue by {@code degrees} (wrapping around the colour wheel). */
    public static BufferedImage hue(BufferedImage image, double degrees) {
        int shift = (int) Math.round(degrees / 360.0 * 256);
        byte[] table = new byte[256];
        for (int i = 0; i < 256; i++) {
            table[i] = (byte) Math.floorMod(i + shift, 256);
        }
        try (Mat src = OpenCvBridge.toMat(image); Mat hsv = new Mat(); MatVector channels = new MatVector();
             Mat lut = new Mat(1, 256, CV_8U); Mat shifted = new Mat(); Mat dst = new Mat()) {
            lut.data().put(table);
            cvtColor(src, hsv, COLOR_BGR2HSV_FULL);
            split(hsv, channels);
            LUT(channels.get(0), lut, shifted);
            channels.put(0, shifted);
            merge(channels, hsv);
            cvtColor(hsv, dst, COLOR_HSV2BGR_FULL);
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Gaussian blur with an odd kernel size; sigma 0 lets OpenCV derive it from the kernel size. */
    public static BufferedImage gaussianBlur(BufferedImage image, int kernel, double sigma) {
        if (kernel < 1 || kernel % 2 == 0) {
            throw new IllegalArgumentException("Gaussian kernel size must be odd and positive, got " + kernel);
        }
        try (Mat src = OpenCvBridge.toMat(image); Mat dst = new Mat(); Size size = new Size(kernel, kernel)) {
            GaussianBlur(src, dst, size, sigma);
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Unsharp mask: {@code image + amount * (image - blur(image, sigma))}. */
    public static BufferedImage sharpen(BufferedImage image, double amount, double sigma) {
        try (Mat src = OpenCvBridge.toMat(image); Mat blurred = new Mat(); Mat dst = new Mat();
             Size auto = new Size(0, 0)) {
            GaussianBlur(src, blurred, auto, sigma);
            addWeighted(src, 1 + amount, blurred, -amount, 0, dst);
            return OpenCvBridge.toImage(dst);
        }
    }

    /** Defocus: convolution with a uniform disc of the given radius (a lens out of focus), edges reflected. */
    public static BufferedImage defocus(BufferedImage image, int radius) {
        if (radius < 1) {
            throw new IllegalArgumentException("defocus radius must be >= 1, got " + radius);
        }
        int size = 2 * radius + 1;
        float[] disc = new float[size * size];
        int count = 0;
        for (int y = -radius; y <= radius; y++) {
            for (int x = -radius; x <= radius; x++) {
                if (x * x + y * y <= radius * radius) {
                    disc[(y + radius) * size + x + radius] = 1;
                    count++;
                }
            }
        }
        for (int i = 0; i < disc.length; i++) {
            disc[i] /= count;
        }
        try (Mat src = OpenCvBridge.toMat(image); Mat kernel = new Mat(size, size, CV_32F); Mat dst = new Mat()) {
            kernel.data().put(toBytes(disc));
            filter2D(src, dst, -1, kernel);
            return OpenCvBridge.toImage(dst);
        }
    }

    private static byte[] toBytes(float[] values) {
        java.nio.ByteBuffer buffer = java.nio.ByteBuffer.allocate(values.length * 4).order(java.nio.ByteOrder.nativeOrder());
        buffer.asFloatBuffer().put(values);
        return buffer.array();
    }

}
