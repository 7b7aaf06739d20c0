package org.editstream.imaging;

import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;

import static org.assertj.core.api.Assertions.assertThat;

class MaskKindsTest {
    /** A disc of the given radius centred in a w x h segmentation. */
    private static BufferedImage disc(int w, int h, int radius) {
        BufferedImage seg = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = seg.createGraphics();
        g.setColor(Color.WHITE);
        g.fillOval(w / 2 - radius, h / 2 - radius, 2 * radius, 2 * radius);
        g.dispose();
        return seg;
    }

    private static int at(BufferedImage mask, int x, int y) {
        return mask.getRaster().getSample(x, y, 0);
    }

    /** How far right of the disc's edge the mask stays above half. */
    private static int reachBeyond(BufferedImage mask, int radius) {
        int y = mask.getHeight() / 2;
        int x = mask.getWidth() / 2 + radius;
        while (x < mask.getWidth() && at(mask, x, y) >= 128) {
            x++;
        }
        return x - (mask.getWidth() / 2 + radius);
    }

    @Test
    void preciseIsTheSegmentationAndBoxTheFilledBox() {
        BufferedImage seg = disc(200, 120, 30);
        BufferedImage precise = Masks.of(Masks.Kind.PRECISE, seg, new Rectangle(70, 30, 60, 60));
        assertThat(at(precise, 100, 60)).isEqualTo(255);
        assertThat(at(precise, 72, 32)).isZero(); // inside the box, outside the disc
        BufferedImage box = Masks.of(Masks.Kind.BOX, seg, new Rectangle(70, 30, 60, 60));
        assertThat(at(box, 72, 32)).isEqualTo(255);
        assertThat(at(box, 69, 32)).isZero();
        assertThat(Masks.coverage(box)).isEqualTo(60.0 * 60 / (200 * 120));
    }

    @Test
    void dilatedGrowsBeyondTheObjectWithSoftEdgesScaledToTheImage() {
        BufferedImage small = Masks.of(Masks.Kind.DILATED, disc(200, 200, 30), new Rectangle());
        BufferedImage large = Masks.of(Masks.Kind.DILATED, disc(400, 400, 60), new Rectangle());
        assertThat(at(small, 100, 100)).isEqualTo(255);
        assertThat(at(small, 5, 5)).isZero();
        assertThat(Masks.coverage(small)).isGreaterThan(Math.PI * 30 * 30 / (200 * 200));
        int reach = reachBeyond(small, 30);
        assertThat(reach).isBetween(2, 8); // about the 4-pixel dilation at 200 px
        assertThat(reachBeyond(large, 60)).isBetween(2 * reach - 2, 2 * reach + 2);
        boolean soft = false;
        for (int x = 130; x < 150; x++) {
            int v = at(small, x, 100);
            soft |= v > 0 && v < 255;
        }
        assertThat(soft).as("blurred edge").isTrue();
    }

    @Test
    void backgroundIsEverythingButTheObjectKeptAwayFromIt() {
        BufferedImage seg = disc(200, 200, 30);
        BufferedImage background = Masks.of(Masks.Kind.BACKGROUND, seg, new Rectangle());
        assertThat(at(background, 100, 100)).isZero();
        assertThat(at(background, 5, 5)).isEqualTo(255);
        assertThat(at(background, 131, 100)).as("just outside the object").isLessThan(128);
        assertThat(Masks.coverage(background)).isLessThan(1 - Math.PI * 30 * 30 / (200 * 200));
    }

    @Test
    void blendTakesTheBaseWhereTheMaskIsZeroTheOverlayWhereItIsOneAndMixesBetween() {
        BufferedImage base = new BufferedImage(3, 1, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage over = new BufferedImage(3, 1, BufferedImage.TYPE_3BYTE_BGR);
        BufferedImage mask = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 3; x++) {
            base.setRGB(x, 0, 0x102030);
            over.setRGB(x, 0, 0xF0E0D0);
        }
        mask.getRaster().setSample(0, 0, 0, 0);
        mask.getRaster().setSample(1, 0, 0, 255);
        mask.getRaster().setSample(2, 0, 0, 51); // 0.2
        BufferedImage out = Masks.blend(base, over, mask);
        assertThat(out.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0x102030);
        assertThat(out.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0xF0E0D0);
        // 0x10 + 0.2 (0xF0 - 0x10) = 16 + 44.8 -> 61 = 0x3D; 0x20 + 0.2 * 192 -> 70 = 0x46; 0x30 + 0.2 * 160 -> 80 = 0x50
        assertThat(out.getRGB(2, 0) & 0xFFFFFF).isEqualTo(0x3D4650);
    }

    @Test
    void boundsHoldTheSetPixelsOnly() {
        BufferedImage mask = new BufferedImage(40, 30, BufferedImage.TYPE_BYTE_GRAY);
        assertThat(Masks.bounds(mask)).isEmpty();
        mask.getRaster().setSample(3, 4, 0, 255);
        mask.getRaster().setSample(20, 25, 0, 128);
        mask.getRaster().setSample(39, 0, 0, 127); // below the half: not set
        assertThat(Masks.bounds(mask)).contains(new Rectangle(3, 4, 18, 22));
    }
}
