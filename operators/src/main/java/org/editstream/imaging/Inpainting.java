package org.editstream.imaging;

import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;

import static org.bytedeco.opencv.global.opencv_photo.INPAINT_TELEA;
import static org.bytedeco.opencv.global.opencv_photo.inpaint;

/** Classical inpainting (Telea's fast marching method): fills masked pixels from their surroundings. */
public final class Inpainting {
    private Inpainting() {
    }

    /**
     * @param mask   TYPE_BYTE_GRAY image, non-zero where pixels are to be filled
     * @param radius neighbourhood considered around each filled pixel
     */
    public static BufferedImage telea(BufferedImage image, BufferedImage mask, double radius) {
        try (Mat src = OpenCvBridge.toMat(image); Mat m = OpenCvBridge.toGreyMat(mask); Mat dst = new Mat()) {
            inpaint(src, m, dst, radius, INPAINT_TELEA);
            return OpenCvBridge.toImage(dst);
        }
    }
}
