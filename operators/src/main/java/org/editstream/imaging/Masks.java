package org.editstream.imaging;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Optional;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC1;
import static org.bytedeco.opencv.global.opencv_core.bitwise_not;
import static org.bytedeco.opencv.global.opencv_core.bitwise_or;
import static org.bytedeco.opencv.global.opencv_core.countNonZero;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.MORPH_ELLIPSE;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_BINARY;
import static org.bytedeco.opencv.global.opencv_imgproc.THRESH_OTSU;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.GaussianBlur;
import static org.bytedeco.opencv.global.opencv_imgproc.dilate;
import static org.bytedeco.opencv.global.opencv_imgproc.erode;
import static org.bytedeco.opencv.global.opencv_imgproc.getStructuringElement;
import static org.bytedeco.opencv.global.opencv_imgproc.threshold;

/** Masks are TYPE_BYTE_GRAY images: 255 where the edit applies, 0 elsewhere. */
public final class Masks {
    private Masks() {
    }

    /** A mask covering the boxes, each grown by {@code padding} pixels on every side. */
    public static BufferedImage ofBoxes(int width, int height, List<Rectangle> boxes, int padding) {
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        try {
            g.setColor(Color.WHITE);
            for (Rectangle box : boxes) {
                g.fillRect(box.x - padding, box.y - padding, box.width + 2 * padding, box.height + 2 * padding);
            }
        } finally {
            g.dispose();
        }
        return mask;
    }

    /**
     * A mask of the ink inside each box: the box, grown by {@code dilation} pixels, is split into two tones
     * (Otsu's threshold on luminance); the tone of most of its border is the board behind the letters and
     * the other one is the ink. The ink is then grown by {@code dilation} pixels to take the letters'
     * anti-aliased edges and shadows too. Inpainting such a mask keeps the board around the letters, where a box mask
     * would wipe it out together with the words.
     */
    public static BufferedImage ofInk(BufferedImage image, List<Rectangle> boxes, int dilation) {
        Rectangle frame = new Rectangle(0, 0, image.getWidth(), image.getHeight());
        try (Mat bgr = OpenCvBridge.toMat(image); Mat grey = new Mat();
             Mat mask = new Mat(image.getHeight(), image.getWidth(), CV_8UC1, new Scalar(0.0))) {
            cvtColor(bgr, grey, COLOR_BGR2GRAY);
            for (Rectangle box : boxes) {
                Rectangle r = new Rectangle(box.x - dilation, box.y - dilation, box.width + 2 * dilation,
                        box.height + 2 * dilation).intersection(frame);
                if (r.width < 3 || r.height < 3) {
                    continue;
                }
                Rect rect = new Rect(r.x, r.y, r.width, r.height);
                try (Mat roi = new Mat(grey, rect); Mat ink = new Mat(); Mat target = new Mat(mask, rect)) {
                    threshold(roi, ink, 0, 255, THRESH_BINARY | THRESH_OTSU);
                    if (borderSet(ink) * 2L > 2L * (r.width + r.height) - 4) {
                        bitwise_not(ink, ink);
                    }
                    bitwise_or(target, ink, target);
                }
            }
            if (dilation > 0) {
                try (Mat kernel = getStructuringElement(MORPH_ELLIPSE, new Size(2 * dilation + 1, 2 * dilation + 1))) {
                    dilate(mask, mask, kernel);
                }
            }
            return OpenCvBridge.toImage(mask); // one channel: TYPE_BYTE_GRAY
        }
    }

    /** Emu Edit's three masks from one grounded object, and the background mask. */
    public enum Kind { PRECISE, DILATED, BOX, BACKGROUND }

    /** Dilation radius of DILATED, and erosion radius of BACKGROUND, as a fraction of the shorter side. */
    public static final double GROW_FRACTION = 0.02;
    /** Gaussian blur kernel of DILATED and BACKGROUND as a fraction of the shorter side (made odd, at least 3). */
    public static final double BLUR_FRACTION = 0.04;

    /**
     * The mask of the given kind from an object's segmentation (PRECISE, thresholded at half) and its box.
     * DILATED grows the segmentation and blurs it (soft edges); BOX fills the box; BACKGROUND is everything
     * but the object, shrunk away from it (a min filter) and blurred. Sizes scale with the image.
     */
    public static BufferedImage of(Kind kind, BufferedImage segmentation, Rectangle box) {
        int w = segmentation.getWidth();
        int h = segmentation.getHeight();
        int shorter = Math.min(w, h);
        int grow = Math.max(1, (int) Math.round(GROW_FRACTION * shorter));
        int blur = Math.max(3, (int) Math.round(BLUR_FRACTION * shorter) | 1);
        try (Mat precise = new Mat(); Mat source = OpenCvBridge.toGreyMat(Images.toGrey(segmentation))) {
            threshold(source, precise, 127, 255, THRESH_BINARY);
            switch (kind) {
                case PRECISE:
                    return OpenCvBridge.toImage(precise);
                case BOX:
                    return ofBoxes(w, h, List.of(box), 0);
                case DILATED:
                    try (Mat kernel = ellipse(grow); Mat grown = new Mat(); Mat soft = new Mat()) {
                        dilate(precise, grown, kernel);
                        GaussianBlur(grown, soft, new Size(blur, blur), 0);
                        bitwise_or(soft, precise, soft); // blurring never takes from the object itself
                        return OpenCvBridge.toImage(soft);
                    }
                default:
                    try (Mat kernel = ellipse(grow); Mat background = new Mat(); Mat shrunk = new Mat(); Mat soft = new Mat()) {
                        bitwise_not(precise, background);
                        erode(background, shrunk, kernel);
                        GaussianBlur(shrunk, soft, new Size(blur, blur), 0);
                        return OpenCvBridge.toImage(soft);
                    }
            }
        }
    }

    private static Mat ellipse(int radius) {
        return getStructuringElement(MORPH_ELLIPSE, new Size(2 * radius + 1, 2 * radius + 1));
    }

    /** Set pixels on the outline of a binary matrix (corners counted once). */
    private static long borderSet(Mat binary) {
        int rows = binary.rows();
        int cols = binary.cols();
        try (Mat top = binary.row(0); Mat bottom = binary.row(rows - 1); Mat inner = binary.rowRange(1, rows - 1);
             Mat left = inner.col(0); Mat right = inner.col(cols - 1)) {
            return (long) countNonZero(top) + countNonZero(bottom) + countNonZero(left) + countNonZero(right);
        }
    }

    /** The mask of per-pixel logits, row-major {@code width} x {@code height}: set where the logit is above 0. */
    public static BufferedImage ofLogits(float[] logits, int width, int height) {
        if (logits.length != (long) width * height) {
            throw new IllegalArgumentException(logits.length + " logits for a " + width + "x" + height + " mask");
        }
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        byte[] p = Images.bytes(mask);
        for (int i = 0; i < p.length; i++) {
            p[i] = logits[i] > 0 ? (byte) 255 : 0;
        }
        return mask;
    }

    /** Fraction of the mask's pixels that are set. */
    public static double coverage(BufferedImage mask) {
        byte[] p = Images.bytes(mask);
        long set = 0;
        for (byte b : p) {
            if ((b & 0xFF) >= 128) {
                set++;
            }
        }
        return (double) set / p.length;
    }

    /** The smallest rectangle holding the mask's set pixels (>= 128), or empty when none is set. */
    public static Optional<Rectangle> bounds(BufferedImage mask) {
        byte[] p = Images.bytes(Images.toGrey(mask));
        int width = mask.getWidth();
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        for (int i = 0; i < p.length; i++) {
            if ((p[i] & 0xFF) >= 128) {
                int x = i % width;
                int y = i / width;
                x0 = Math.min(x0, x);
                y0 = Math.min(y0, y);
                x1 = Math.max(x1, x);
                y1 = Math.max(y1, y);
            }
        }
        return x1 < 0 ? Optional.empty() : Optional.of(new Rectangle(x0, y0, x1 - x0 + 1, y1 - y0 + 1));
    }

    /** The mask's values in [0, 1], row-major (what the diffusion code blends with). */
    public static float[] values(BufferedImage mask) {
        byte[] bytes = Images.bytes(Images.toGrey(mask));
        float[] out = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = (bytes[i] & 0xFF) / 255f;
        }
        return out;
    }

    /**
     * {@code base + m (over - base)} per pixel and channel, m the mask's value in [0, 1]: where the mask is 0 the
     * result is {@code base} exactly, where it is 1 it is {@code over}. All three are the same size.
     */
    public static BufferedImage blend(BufferedImage base, BufferedImage over, BufferedImage mask) {
        int w = base.getWidth();
        int h = base.getHeight();
        if (over.getWidth() != w || over.getHeight() != h || mask.getWidth() != w || mask.getHeight() != h) {
            throw new IllegalArgumentException("blend needs images of one size: " + w + "x" + h + ", "
                    + over.getWidth() + "x" + over.getHeight() + ", mask " + mask.getWidth() + "x" + mask.getHeight());
        }
        float[] m = values(mask);
        byte[] a = Images.bytes(Images.toBgr(base));
        byte[] b = Images.bytes(Images.toBgr(over));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        byte[] o = Images.bytes(out);
        for (int i = 0; i < o.length; i++) {
            int x = a[i] & 0xFF;
            o[i] = (byte) Math.round(x + m[i / 3] * ((b[i] & 0xFF) - x));
        }
        return out;
    }

    /** The mask as a three-channel image (white on black), the form samples carry. */
    public static BufferedImage toImage(BufferedImage mask) {
        return Images.toBgr(mask);
    }
}
