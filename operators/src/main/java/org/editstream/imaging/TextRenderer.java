package org.editstream.imaging;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** Draws text into images with installed TrueType fonts, fitted to a box. */
public final class TextRenderer {
    /** Font families the text task chooses from; installed by Debian's fonts-dejavu-core. */
    public static final List<String> FAMILIES = List.of("DejaVu Sans", "DejaVu Serif", "DejaVu Sans Mono");

    private TextRenderer() {
    }

    /** Whether every family of {@link #FAMILIES} is installed (headless Java2D has no fonts of its own). */
    public static boolean fontsInstalled() {
        try {
            Set<String> installed = Set.copyOf(Arrays.asList(
                    GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames()));
            return installed.containsAll(FAMILIES);
        } catch (Throwable e) {
            return false;
        }
    }

    /**
     * Draws {@code text} in a copy of {@code image}, centred in {@code box}, at the largest size that fits it.
     *
     * @return the new image; the input is left unchanged
     */
    public static BufferedImage drawFitted(BufferedImage image, String text, String family, boolean bold, Color color,
                                           Rectangle box) {
        BufferedImage out = Images.copy(image);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
            int style = bold ? Font.BOLD : Font.PLAIN;
            int size = Math.max(6, box.height);
            Font font = new Font(family, style, size);
            FontMetrics metrics = g.getFontMetrics(font);
            while (size > 6 && (metrics.stringWidth(text) > box.width || metrics.getAscent() + metrics.getDescent() > box.height * 1.3)) {
                size--;
                font = new Font(family, style, size);
                metrics = g.getFontMetrics(font);
            }
            g.setFont(font);
            g.setColor(color);
            int x = box.x + (box.width - metrics.stringWidth(text)) / 2;
            int y = box.y + (box.height - (metrics.getAscent() + metrics.getDescent())) / 2 + metrics.getAscent();
            g.drawString(text, x, y);
        } finally {
            g.dispose();
        }
        return out;
    }
}
