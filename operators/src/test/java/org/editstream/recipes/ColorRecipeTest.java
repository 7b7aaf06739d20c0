package org.editstream.recipes;

import org.editstream.imaging.Images;
import org.editstream.schema.Instruction;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

class ColorRecipeTest {
    private final ColorRecipe recipe = new ColorRecipe();

    static BufferedImage scene() {
        BufferedImage image = new BufferedImage(120, 80, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(40, 90, 160), 120, 80, new Color(200, 150, 60)));
        g.fillRect(0, 0, 120, 80);
        g.setColor(new Color(30, 160, 40));
        g.fillOval(20, 20, 40, 30);
        g.dispose();
        return image;
    }

    private static Instruction intent(String operation, String direction) {
        return Instruction.newBuilder().setText("edit").setWriter("template").setTemplateVersion("t")
                .setIntent(Map.of("operation", operation, "direction", direction)).build();
    }

    @Test
    void brighterRaisesMeanLuminance() throws Exception {
        BufferedImage input = scene();
        EditPair pair = recipe.make(input, intent("brightness", "up"), new SplittableRandom(1));
        assertThat(Images.meanLuma(pair.edited())).isGreaterThan(Images.meanLuma(input) * 1.2);
        assertThat(Double.parseDouble(pair.parameters().get("factor"))).isBetween(1.3, 1.8);
    }

    @Test
    void darkerLowersMeanLuminance() throws Exception {
        BufferedImage input = scene();
        EditPair pair = recipe.make(input, intent("brightness", "down"), new SplittableRandom(2));
        assertThat(Images.meanLuma(pair.edited())).isLessThan(Images.meanLuma(input) * 0.8);
    }

    @Test
    void desaturationBringsChannelsTogether() throws Exception {
        BufferedImage input = scene();
        EditPair pair = recipe.make(input, intent("saturation", "down"), new SplittableRandom(3));
        assertThat(channelSpread(pair.edited())).isLessThan(channelSpread(input) * 0.6);
    }

    @Test
    void blurAndDefocusSmoothTheImage() throws Exception {
        BufferedImage input = scene();
        for (String op : new String[] {"blur", "defocus"}) {
            EditPair pair = recipe.make(input, intent(op, "apply"), new SplittableRandom(4));
            assertThat(roughness(pair.edited())).as(op).isLessThan(roughness(input));
        }
    }

    @Test
    void sharpenRoughensTheImage() throws Exception {
        BufferedImage input = scene();
        EditPair pair = recipe.make(input, intent("sharpen", "apply"), new SplittableRandom(5));
        assertThat(roughness(pair.edited())).isGreaterThan(roughness(input));
    }

    @Test
    void sameSeedSameEdit() throws Exception {
        BufferedImage input = scene();
        EditPair a = recipe.make(input, intent("hue", "shift"), new SplittableRandom(9));
        EditPair b = recipe.make(input, intent("hue", "shift"), new SplittableRandom(9));
        assertThat(a.parameters()).isEqualTo(b.parameters());
        assertThat(Images.meanAbsoluteDifference(a.edited(), b.edited())).isZero();
        assertThat(Images.meanAbsoluteDifference(input, a.edited())).isGreaterThan(0.01);
    }

    /** Mean over pixels of max(channel) - min(channel). */
    private static double channelSpread(BufferedImage image) {
        byte[] p = Images.bytes(image);
        double sum = 0;
        for (int i = 0; i < p.length; i += 3) {
            int b = p[i] & 0xFF, g = p[i + 1] & 0xFF, r = p[i + 2] & 0xFF;
            sum += Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b));
        }
        return sum / (p.length / 3.0);
    }

    /** Mean absolute difference between horizontal neighbours. */
    private static double roughness(BufferedImage image) {
        byte[] p = Images.bytes(image);
        int w = image.getWidth();
        double sum = 0;
        long n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 1; x < w; x++) {
                for (int c = 0; c < 3; c++) {
                    sum += Math.abs((p[(y * w + x) * 3 + c] & 0xFF) - (p[(y * w + x - 1) * 3 + c] & 0xFF));
                    n++;
                }
            }
        }
        return sum / n;
    }
}
