package org.editstream.imaging;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;

import static org.bytedeco.opencv.global.opencv_imgcodecs.IMWRITE_PNG_COMPRESSION;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imencode;

/** Encodes working images as PNG (lossless: samples keep every pixel the recipe made). */
public final class ImageEncoder {
    /** zlib level 3: within a few percent of level 9's size at a fraction of its time. */
    private static final int PNG_COMPRESSION = 3;

    private ImageEncoder() {
    }

    public static byte[] png(BufferedImage image) {
        Mat mat = image.getType() == BufferedImage.TYPE_BYTE_GRAY
                ? OpenCvBridge.toGreyMat(image) : OpenCvBridge.toMat(image);
        try (mat; BytePointer out = new BytePointer();
             IntPointer params = new IntPointer(IMWRITE_PNG_COMPRESSION, PNG_COMPRESSION)) {
            if (!imencode(".png", mat, out, params)) {
                throw new IllegalStateException("OpenCV could not encode a " + image.getWidth() + "x"
                        + image.getHeight() + " image as PNG");
            }
            byte[] bytes = new byte[(int) out.limit()];
            out.get(bytes);
            return bytes;
        }
    }
}
