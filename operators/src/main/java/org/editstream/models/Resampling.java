package org.editstream.models;

import java.awt.image.BufferedImage;

/**
 * Image resizing exactly as Pillow does it for 8-bit images, which the reference preprocessors use (and which
 * torch's interpolation is not): separable convolution, horizontal pass first, each output pixel the
 * normalised kernel weights over the input pixels its footprint covers (the kernel widened by the scale
 * when shrinking, i.e. antialiased), weights in 22-bit fixed point, rounding and clipping to 8 bits after each
 * pass.
 */
public final class Resampling {
    /** Pillow's filters: the kernel and its support at scale 1. */
    public enum Filter {
        BILINEAR(1.0) {
            @Override
            double weight(double x) {
                x = Math.abs(x);
                return x < 1 ? 1 - x : 0;
            }
        },
        BICUBIC(2.0) {
            @Override
            double weight(double x) {
                double a = -0.5;
                x = Math.abs(x);
                if (x < 1) {
                    return ((a + 2) * x - (a + 3)) * x * x + 1;
                }
                if (x < 2) {
                    return (((x - 5) * x + 8) * x - 4) * a;
                }
                return 0;
            }
        };

        final double support;

        Filter(double support) {
            this.support = support;
        }

        abstract double weight(double x);

        /** Pillow's numbering in preprocessor configs ({@code resample}: 2 bilinear, 3 bicubic). */
        public static Filter ofPillowCode(int code) {
            return switch (code) {
                case 2 -> BILINEAR;
                case 3 -> BICUBIC;
                default -> throw new IllegalArgumentException("unsupported Pillow resample filter " + code);
            };
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private Resampling() {
    }

    /** The image resized to {@code width} x {@code height} (RGB). */
    public static BufferedImage resize(BufferedImage image, int width, int height, Filter filter) {
        int inW = image.getWidth();
        int inH = image.getHeight();
        int[] rgb = image.getRGB(0, 0, inW, inH, null, 0, inW);
        int[][] planes = new int[3][inW * inH];
        for (int i = 0; i < rgb.length; i++) {
            planes[0][i] = (rgb[i] >> 16) & 0xFF;
            planes[1][i] = (rgb[i] >> 8) & 0xFF;
            planes[2][i] = rgb[i] & 0xFF;
        }
        int[][] out = new int[3][];
        for (int c = 0; c < 3; c++) {
            int[] horizontal = inW == width ? planes[c] : pass(planes[c], inW, inH, width, filter, true);
            out[c] = inH == height ? horizontal : pass(horizontal, width, inH, height, filter, false);
        }
        BufferedImage result = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] pixels = new int[width * height];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (out[0][i] << 16) | (out[1][i] << 8) | out[2][i];
        }
        result.setRGB(0, 0, width, height, pixels, 0, width);
        return result;
    }

    /** One pass along x (horizontal) or y over a w x h plane, to {@code outSize} along that axis. */
    private static int[] pass(int[] plane, int w, int h, int outSize, Filter filter, boolean horizontal) {
        int inSize = horizontal ? w : h;
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int[] starts = new int[outSize];
        int[][] weights = new int[outSize][];
        for (int o = 0; o < outSize; o++) {
            double center = (o + 0.5) * scale;
            int min = Math.max((int) (center - support + 0.5), 0);
            int max = Math.min((int) (center + support + 0.5), inSize) - min;
            double[] k = new double[max];
            double sum = 0;
            for (int x = 0; x < max; x++) {
                k[x] = filter.weight((x + min - center + 0.5) / filterScale);
                sum += k[x];
            }
            int[] fixed = new int[max];
            for (int x = 0; x < max; x++) {
                double v = sum == 0 ? 0 : k[x] / sum;
                double scaled = v * (1 << PRECISION_BITS);
                fixed[x] = (int) (scaled < 0 ? scaled - 0.5 : scaled + 0.5);
            }
            starts[o] = min;
            weights[o] = fixed;
        }
        int outW = horizontal ? outSize : w;
        int outH = horizontal ? h : outSize;
        int[] out = new int[outW * outH];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int o = horizontal ? x : y;
                int[] k = weights[o];
                long acc = 1L << (PRECISION_BITS - 1);
                for (int i = 0; i < k.length; i++) {
                    int src = horizontal ? y * w + starts[o] + i : (starts[o] + i) * w + x;
                    acc += (long) plane[src] * k[i];
                }
                int v = (int) (acc >> PRECISION_BITS);
                out[y * outW + x] = Math.max(0, Math.min(255, v));
            }
        }
        return out;
    }
}
