package org.editstream.imaging;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;

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

    /** The mask as a three-channel image (white on black), the form samples carry. */
    public static BufferedImage toImage(BufferedImage mask) {
        return Images.toBgr(mask);
    }
}
