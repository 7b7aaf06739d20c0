package org.editstream.imaging;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DepthMapTest {
    private static final int W = 40;
    private static final int H = 30;

    @Test
    void theDepthImageIsBrightWhereNearAndOrdersARamp() {
        DepthMap ramp = plane(0.5f, 0f, 3f); // nearer to the right
        BufferedImage image = ramp.depthImage();
        for (int y = 0; y < H; y++) {
            assertThat(grey(image, 0, y)).isZero();
            assertThat(grey(image, W - 1, y)).isEqualTo(255);
            for (int x = 1; x < W; x++) {
                assertThat(grey(image, x, y)).isGreaterThan(grey(image, x - 1, y));
                assertThat(grey(image, x, y)).isEqualTo((int) (x / (float) (W - 1) * 255f)); // truncated, as the annotator
            }
        }
        assertThat(grey(plane(0f, 0f, 7f).depthImage(), 3, 3)).as("flat depth").isZero();
    }

    @Test
    void aTiltedPlaneHasOneNormalAndTheBackgroundFacesTheCamera() {
        float a = 0.3f;
        float b = -0.2f;
        DepthMap tilted = plane(a, b, 20f);
        BufferedImage normals = tilted.normalImage();
        // Sobel's 3x3 derivative of a plane is 8 times its slope, inside the border
        double x = 8 * a;
        double y = 8 * b;
        double length = Math.sqrt(x * x + y * y + DepthMap.NORMAL_Z * DepthMap.NORMAL_Z);
        int[] expected = {(int) (x / length * 127.5 + 127.5), (int) (y / length * 127.5 + 127.5),
                (int) (DepthMap.NORMAL_Z / length * 127.5 + 127.5)};
        float[] n = tilted.normalised();
        int inside = 0;
        for (int py = 1; py < H - 1; py++) {
            for (int px = 1; px < W - 1; px++) {
                int[] rgb = rgb(normals, px, py);
                if (n[py * W + px] < DepthMap.NORMAL_BACKGROUND) {
                    assertThat(rgb).containsExactly(127, 127, 255);
                } else {
                    assertThat(rgb).as("(%d, %d)", px, py).containsExactly(expected);
                    inside++;
                }
            }
        }
        assertThat(inside).isGreaterThan(W * H / 2);
        assertThat(expected[0]).as("facing +x reads redder than flat").isGreaterThan(127);
        assertThat(rgb(plane(0f, 0f, 1f).normalImage(), 5, 5)).containsExactly(127, 127, 255);
    }

    @Test
    void structureDistanceIgnoresScaleAndShiftAndSeesAReversal() {
        DepthMap ramp = plane(0.5f, 0.1f, 3f);
        DepthMap scaled = plane(2f, 0.4f, -7f);
        DepthMap reversed = plane(-0.5f, -0.1f, 3f);
        assertThat(ramp.l1(scaled)).isCloseTo(0, within(1e-6));
        assertThat(ramp.l1(reversed)).isGreaterThan(0.3).isLessThanOrEqualTo(1.0);
        assertThat(ramp.l1(ramp)).isZero();
    }

    private static DepthMap plane(float a, float b, float c) {
        float[] v = new float[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                v[y * W + x] = a * x + b * y + c;
            }
        }
        return new DepthMap(v, W, H);
    }

    private static int grey(BufferedImage image, int x, int y) {
        int[] c = rgb(image, x, y);
        assertThat(c[0]).isEqualTo(c[1]).isEqualTo(c[2]);
        return c[0];
    }

    private static int[] rgb(BufferedImage image, int x, int y) {
        int p = image.getRGB(x, y);
        return new int[] {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
    }
}
