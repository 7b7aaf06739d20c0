package org.editstream.imaging;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;

import java.awt.image.BufferedImage;

import static org.bytedeco.opencv.global.opencv_core.bitwise_not;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2BGR;
import static org.bytedeco.opencv.global.opencv_imgproc.Canny;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_ELLIPSE;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.dilate;
import static org.bytedeco.opencv.global.opencv_imgproc.getStructuringElement;

/**
 * A pencil-style sketch of an image: Canny edges with thresholds set from the image's median grey level
 * (so dark and bright photos both give usable line drawings), lines thickened to the given width, drawn
 * black on white.
 */
public final class EdgeSketch {
    private EdgeSketch() {
    }

    /**
     * @param sigma      spread of the thresholds around the median: low = (1 - sigma) * median,
     *                   high = (1 + sigma) * median
     * @param lineWidth  1 for hairlines, larger for bolder strokes
     */
    public static BufferedImage sketch(BufferedImage image, double sigma, int lineWidth) {
        try (Mat src = OpenCvBridge.toMat(image); Mat grey = new Mat(); Mat smooth = new Mat(); Mat edges = new Mat();
             Size blurSize = new Size(5, 5)) {
            cvtColor(src, grey, COLOR_BGR2GRAY);
            GaussianBlur(grey, smooth, blurSize, 0);
            double median = median(smooth);
            double low = Math.max(0, (1 - sigma) * median);
            double high = Math.min(255, Math.max(low + 1, (1 + sigma) * median));
            Canny(smooth, edges, low, high);
            if (lineWidth > 1) {
                try (Mat element = getStructuringElement(MORPH_ELLIPSE, new Size(lineWidth, lineWidth))) {
                    dilate(edges, edges, element);
                }
            }
            bitwise_not(edges, edges);
            try (Mat bgr = new Mat()) {
                cvtColor(edges, bgr, COLOR_GRAY2BGR);
                return OpenCvBridge.toImage(bgr);
            }
        }
    }

    private static double median(Mat grey) {
        byte[] pixels = new byte[(int) (grey.total())];
        grey.data().get(pixels);
        int[] histogram = new int[256];
        for (byte p : pixels) {
            histogram[p & 0xFF]++;
        }
        int half = pixels.length / 2;
        int seen = 0;
        for (int v = 0; v < 256; v++) {
            seen += histogram[v];
            if (seen > half) {
                return v;
            }
        }
        return 255;
    }

    /** Fraction of pixels that are drawn lines (dark), for callers that check a sketch has content. */
    public static double inkFraction(BufferedImage sketch) {
        byte[] p = Images.bytes(Images.toBgr(sketch));
        long dark = 0;
        for (int i = 0; i < p.length; i += 3) {
            if ((p[i] & 0xFF) < 128) {
                dark++;
            }
        }
        return dark / (p.length / 3.0);
    }

}
