package org.editstream.imaging;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;

/** Small operations on working images that every recipe needs. */
public final class Images {
    private Images() {
    }

    /** The image as TYPE_3BYTE_BGR (the same object when it already is), alpha composited over white. */
    public static BufferedImage toBgr(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        BufferedImage bgr = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = bgr.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return bgr;
    }

    /** The image as TYPE_BYTE_GRAY (the same object when it already is), Rec. 601 luma. */
    public static BufferedImage toGrey(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        int[] rgb = image.getRGB(0, 0, w, h, null, 0, w);
        BufferedImage grey = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] out = bytes(grey);
        for (int i = 0; i < rgb.length; i++) {
            int r = (rgb[i] >> 16) & 0xFF;
            int g = (rgb[i] >> 8) & 0xFF;
            int b = rgb[i] & 0xFF;
            out[i] = (byte) ((299 * r + 587 * g + 114 * b + 500) / 1000);
        }
        return grey;
    }

    public static BufferedImage copy(BufferedImage image) {
        BufferedImage bgr = toBgr(image);
        BufferedImage copy = new BufferedImage(bgr.getWidth(), bgr.getHeight(), BufferedImage.TYPE_3BYTE_BGR);
        System.arraycopy(bytes(bgr), 0, bytes(copy), 0, bytes(bgr).length);
        return copy;
    }

    /** The image at exactly this size (bicubic), as TYPE_3BYTE_BGR; the image itself when it already is. */
    public static BufferedImage resized(BufferedImage image, int width, int height) {
        if (image.getWidth() == width && image.getHeight() == height && image.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            return image;
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        java.awt.Graphics2D g = out.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(image, 0, 0, width, height, null);
        g.dispose();
        return out;
    }

    /** The backing bytes of a TYPE_3BYTE_BGR or TYPE_BYTE_GRAY image (not a copy). */
    public static byte[] bytes(BufferedImage image) {
        return ((DataBufferByte) image.getRaster().getDataBuffer()).getData();
    }

    /** Mean absolute difference of two same-size images, over all channels, in [0, 1]. */
    public static double meanAbsoluteDifference(BufferedImage a, BufferedImage b) {
        if (a.getWidth() != b.getWidth() || a.getHeight() != b.getHeight()) {
            throw new IllegalArgumentException("images differ in size: " + a.getWidth() + "x" + a.getHeight()
                    + " vs " + b.getWidth() + "x" + b.getHeight());
        }
        byte[] x = bytes(toBgr(a));
        byte[] y = bytes(toBgr(b));
        long sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += Math.abs((x[i] & 0xFF) - (y[i] & 0xFF));
        }
        return sum / (255.0 * x.length);
    }

    /** Mean Rec. 601 luma of an image, in [0, 255]. */
    public static double meanLuma(BufferedImage image) {
        byte[] p = bytes(toBgr(image));
        double sum = 0;
        for (int i = 0; i < p.length; i += 3) {
            sum += 0.114 * (p[i] & 0xFF) + 0.587 * (p[i + 1] & 0xFF) + 0.299 * (p[i + 2] & 0xFF);
        }
        return sum / (p.length / 3.0);
    }

    /** Mean colour of the pixels of {@code region} (clipped to the image). */
    public static Color meanColor(BufferedImage image, Rectangle region) {
        Rectangle r = region.intersection(new Rectangle(0, 0, image.getWidth(), image.getHeight()));
        if (r.isEmpty()) {
            throw new IllegalArgumentException("region " + region + " lies outside the image");
        }
        long red = 0;
        long green = 0;
        long blue = 0;
        for (int y = r.y; y < r.y + r.height; y++) {
            for (int x = r.x; x < r.x + r.width; x++) {
                int rgb = image.getRGB(x, y);
                red += (rgb >> 16) & 0xFF;
                green += (rgb >> 8) & 0xFF;
                blue += rgb & 0xFF;
            }
        }
        long n = (long) r.width * r.height;
        return new Color((int) (red / n), (int) (green / n), (int) (blue / n));
    }

    /** WCAG contrast ratio of two colours, from 1 (same luminance) to 21 (black on white). */
    public static double contrastRatio(Color a, Color b) {
        double la = relativeLuminance(a);
        double lb = relativeLuminance(b);
        return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
    }

    private static double relativeLuminance(Color c) {
        return 0.2126 * linear(c.getRed()) + 0.7152 * linear(c.getGreen()) + 0.0722 * linear(c.getBlue());
    }

    private static double linear(int channel) {
        double v = channel / 255.0;
        return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    }
}
