package org.editstream.imaging;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.opencv_core.Mat;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;

/**
 * Copies between the job's working images ({@link BufferedImage#TYPE_3BYTE_BGR}, whose bytes are in
 * OpenCV's BGR order) and OpenCV matrices. Callers close the matrices they get.
 */
public final class OpenCvBridge {
    private OpenCvBridge() {
    }

    public static Mat toMat(BufferedImage image) {
        BufferedImage bgr = Images.toBgr(image);
        byte[] data = ((DataBufferByte) bgr.getRaster().getDataBuffer()).getData();
        Mat mat = new Mat(bgr.getHeight(), bgr.getWidth(), CV_8UC3);
        mat.data().put(data);
        return mat;
    }

    /** A single-channel 8-bit matrix of a grey image (TYPE_BYTE_GRAY). */
    public static Mat toGreyMat(BufferedImage grey) {
        if (grey.getType() != BufferedImage.TYPE_BYTE_GRAY) {
            throw new IllegalArgumentException("expected a TYPE_BYTE_GRAY image, got type " + grey.getType());
        }
        byte[] data = ((DataBufferByte) grey.getRaster().getDataBuffer()).getData();
        Mat mat = new Mat(grey.getHeight(), grey.getWidth(), CV_8UC1);
        mat.data().put(data);
        return mat;
    }

    /** A BGR image from a continuous 8-bit matrix with 1 or 3 channels. */
    public static BufferedImage toImage(Mat mat) {
        int channels = mat.channels();
        if (mat.depth() != 0 || (channels != 1 && channels != 3)) {
            throw new IllegalArgumentException("expected an 8-bit matrix with 1 or 3 channels, got depth "
                    + mat.depth() + " and " + channels + " channels");
        }
        Mat source = mat.isContinuous() ? mat : mat.clone();
        int type = channels == 3 ? BufferedImage.TYPE_3BYTE_BGR : BufferedImage.TYPE_BYTE_GRAY;
        BufferedImage image = new BufferedImage(source.cols(), source.rows(), type);
        byte[] data = ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
        BytePointer pointer = source.data();
        pointer.get(data);
        if (source != mat) {
            source.close();
        }
        return image;
    }
}
