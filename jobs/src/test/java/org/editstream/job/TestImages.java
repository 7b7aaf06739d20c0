package org.editstream.job;

import org.editstream.schema.CaptionEvent;
import org.editstream.schema.ImageRef;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Random;

/** Small photo-like test images: gradients with shapes, different per seed. */
final class TestImages {
    private TestImages() {
    }

    static BufferedImage scene(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(random.nextInt(0xFFFFFF)), width, height,
                new Color(random.nextInt(0xFFFFFF))));
        g.fillRect(0, 0, width, height);
        for (int i = 0; i < 6; i++) {
            g.setColor(new Color(random.nextInt(0xFFFFFF)));
            int w = 10 + random.nextInt(width / 2);
            int h = 10 + random.nextInt(height / 2);
            if (random.nextBoolean()) {
                g.fillOval(random.nextInt(width - w), random.nextInt(height - h), w, h);
            } else {
                g.fillRect(random.nextInt(width - w), random.nextInt(height - h), w, h);
            }
        }
        g.dispose();
        return image;
    }

    /** A caption "a test scene N" with a 64x48 scene inline (no task hint: the job's mix assigns one). */
    static CaptionEvent sceneCaption(String id, int n) {
        return CaptionEvent.newBuilder().setId(id).setCaption("a test scene " + n)
                .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(png(scene(64, 48, n)))).build()).build();
    }

    static byte[] png(BufferedImage image) {
        return encode(image, "png");
    }

    static byte[] encode(BufferedImage image, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
