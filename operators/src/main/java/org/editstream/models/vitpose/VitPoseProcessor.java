package org.editstream.models.vitpose;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.ModelException;
import org.editstream.models.ModelFolder;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code VitPoseImageProcessor}'s top-down steps, in plain arithmetic. Preprocessing: a person box (COCO x, y, w, h)
 * to a centre and a scale (the box widened to the crop's aspect ratio, times 1.25, in units of 200 px), the crop cut
 * out by an affine warp with bilinear sampling (zero outside the image, rounded to 8 bits, as scipy's
 * {@code affine_transform} of order 1 on the image's bytes), rescaled and normalised. Post-processing
 * ({@code post_process_pose_estimation}): each heatmap's argmax, refined DARK-style (the heatmap smoothed by a Gaussian
 * of sigma 0.8 and the given kernel size, log, a Newton step with its gradient and Hessian), and mapped back to image
 * pixels through the box's centre and scale.
 */
public final class VitPoseProcessor {
    private static final double PADDING = 1.25;
    private static final double SIGMA = 0.8;
    /** float32's epsilon, which the reference adds to the Hessian's diagonal before inverting it. */
    private static final double HESSIAN_EPS = Math.ulp(1.0f);

    private final int width;
    private final int height;
    private final double normalizeFactor;
    private final double rescale;
    private final float[] mean;
    private final float[] std;

    VitPoseProcessor(int width, int height, double normalizeFactor, double rescale, float[] mean, float[] std) {
        this.width = width;
        this.height = height;
        this.normalizeFactor = normalizeFactor;
        this.rescale = rescale;
        this.mean = mean;
        this.std = std;
    }

    /** The processor of a model folder's {@code preprocessor_config.json}, or the defaults for a crop of this size. */
    static VitPoseProcessor load(Path folder, int cropWidth, int cropHeight) {
        VitPoseProcessor defaults = new VitPoseProcessor(cropWidth, cropHeight, 200, 1 / 255.0, new float[] {0.485f, 0.456f, 0.406f},
                new float[] {0.229f, 0.224f, 0.225f});
        Path file = folder == null ? null : folder.resolve("preprocessor_config.json");
        if (file == null || !Files.isRegularFile(file)) {
            return defaults;
        }
        try {
            JsonNode c = new ObjectMapper().readTree(file.toFile());
            return new VitPoseProcessor(c.path("size").path("width").asInt(cropWidth), c.path("size").path("height").asInt(cropHeight),
                    c.path("normalize_factor").asDouble(200), c.path("rescale_factor").asDouble(1 / 255.0),
                    ModelFolder.floats(c.path("image_mean"), defaults.mean), ModelFolder.floats(c.path("image_std"), defaults.std));
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }


    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** A box's centre (x, y) and scale (w, h, in units of the normalise factor), as {@code box_to_center_and_scale}. */
    public double[] centerAndScale(float[] box) {
        double w = box[2];
        double h = box[3];
        double aspect = (double) width / height;
        double cx = box[0] + w * 0.5;
        double cy = box[1] + h * 0.5;
        if (w > aspect * h) {
            h = w / aspect;
        } else if (w < aspect * h) {
            w = h * aspect;
        }
        // the reference keeps these in float32
        return new double[] {(float) cx, (float) cy, (float) ((float) (w / normalizeFactor) * PADDING),
                (float) ((float) (h / normalizeFactor) * PADDING)};
    }

    /** The normalised crop of one box, [3, height, width] row-major. */
    public float[] crop(BufferedImage image, float[] box) {
        double[] cs = centerAndScale(box);
        double roiW = cs[2] * normalizeFactor;
        double roiH = cs[3] * normalizeFactor;
        // output pixel (col, row) samples the image at (col / sx + cx - roiW / 2, row / sy + cy - roiH / 2)
        double sx = (width - 1.0) / roiW;
        double sy = (height - 1.0) / roiH;
        int iw = image.getWidth();
        int ih = image.getHeight();
        int[] rgb = image.getRGB(0, 0, iw, ih, null, 0, iw);
        float[] out = new float[3 * width * height];
        int plane = width * height;
        for (int row = 0; row < height; row++) {
            double y = row / sy + cs[1] - roiH / 2;
            for (int col = 0; col < width; col++) {
                double x = col / sx + cs[0] - roiW / 2;
                for (int c = 0; c < 3; c++) {
                    int value = (int) Math.floor(bilinear(rgb, iw, ih, x, y, 16 - 8 * c) + 0.5);
                    value = Math.max(0, Math.min(255, value));
                    out[c * plane + row * width + col] = (float) ((value * rescale - mean[c]) / std[c]);
                }
            }
        }
        return out;
    }

    /** Bilinear sample of one channel at (x, y); zero outside [0, w - 1] x [0, h - 1]. */
    private static double bilinear(int[] rgb, int w, int h, double x, double y, int shift) {
        if (x < 0 || y < 0 || x > w - 1 || y > h - 1) {
            return 0;
        }
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        double fx = x - x0;
        double fy = y - y0;
        int x1 = Math.min(x0 + 1, w - 1);
        int y1 = Math.min(y0 + 1, h - 1);
        double a = (rgb[y0 * w + x0] >> shift) & 0xFF;
        double b = (rgb[y0 * w + x1] >> shift) & 0xFF;
        double c = (rgb[y1 * w + x0] >> shift) & 0xFF;
        double d = (rgb[y1 * w + x1] >> shift) & 0xFF;
        return (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
    }

    /** Keypoints of one person, in image pixels, with their scores (the heatmaps' maxima). */
    public record Pose(float[][] keypoints, float[] scores) {
    }

    /**
     * One person's keypoints from its heatmaps [K][h][w] (row-major per keypoint) and its box, as
     * {@code post_process_pose_estimation} with {@code kernel_size}.
     */
    public Pose keypoints(float[][] heatmaps, int h, int w, float[] box, int kernel) {
        int k = heatmaps.length;
        float[][] points = new float[k][2];
        float[] scores = new float[k];
        double[] cs = centerAndScale(box);
        double roiW = cs[2] * normalizeFactor;
        double roiH = cs[3] * normalizeFactor;
        for (int j = 0; j < k; j++) {
            float[] map = heatmaps[j];
            int best = 0;
            for (int i = 1; i < map.length; i++) {
                if (map[i] > map[best]) {
                    best = i;
                }
            }
            scores[j] = map[best];
            double px = scores[j] > 0 ? best % w : -1;
            double py = scores[j] > 0 ? best / w : -1;
            double[] refined = dark(map, h, w, px, py, kernel);
            points[j][0] = (float) (refined[0] * (roiW / (w - 1.0)) + cs[0] - roiW * 0.5);
            points[j][1] = (float) (refined[1] * (roiH / (h - 1.0)) + cs[1] - roiH * 0.5);
        }
        return new Pose(points, scores);
    }

    /** DARK's refinement of a heatmap's peak at (px, py): a Newton step on the log of the smoothed heatmap. */
    private static double[] dark(float[] map, int h, int w, double px, double py, int kernel) {
        float[] smooth = gaussian(map, h, w, (kernel - 1) / 2);
        // log of the smoothed heatmap clipped to [0.001, 50], edge-padded by one
        int pw = w + 2;
        double[] padded = new double[(h + 2) * pw];
        for (int y = 0; y < h + 2; y++) {
            for (int x = 0; x < pw; x++) {
                int sy = Math.min(Math.max(y - 1, 0), h - 1);
                int sx = Math.min(Math.max(x - 1, 0), w - 1);
                padded[y * pw + x] = (float) Math.log(Math.min(50f, Math.max(0.001f, smooth[sy * w + sx])));
            }
        }
        // the reference indexes the flattened padded maps; a missing peak (-1) lands on the pad's corner, as there
        int index = (int) (px + 1 + (py + 1) * pw);
        double i = at(padded, index);
        double ix1 = at(padded, index + 1);
        double iy1 = at(padded, index + pw);
        double ix1y1 = at(padded, index + pw + 1);
        double ix1y1Minus = at(padded, index - pw - 1);
        double ix1Minus = at(padded, index - 1);
        double iy1Minus = at(padded, index - pw);
        double dx = 0.5 * (ix1 - ix1Minus);
        double dy = 0.5 * (iy1 - iy1Minus);
        double dxx = ix1 - 2 * i + ix1Minus + HESSIAN_EPS;
        double dyy = iy1 - 2 * i + iy1Minus + HESSIAN_EPS;
        double dxy = 0.5 * (ix1y1 - ix1 - iy1 + i + i - ix1Minus - iy1Minus + ix1y1Minus);
        double det = dxx * dyy - dxy * dxy;
        double stepX = (dyy * dx - dxy * dy) / det;
        double stepY = (-dxy * dx + dxx * dy) / det;
        return new double[] {px - stepX, py - stepY};
    }

    /** The value at a flat index, negative indices from the end as numpy reads them (a missing peak's neighbours). */
    private static double at(double[] values, int index) {
        int i = index < 0 ? index + values.length : index;
        if (i < 0 || i >= values.length) {
            throw new ModelException("heatmap refinement read outside the heatmap (index " + index + ")");
        }
        return values[i];
    }

    /** scipy's {@code gaussian_filter} (sigma 0.8, the given radius, mode reflect) along rows then columns, in float32 steps. */
    private static float[] gaussian(float[] map, int h, int w, int radius) {
        double[] weights = new double[2 * radius + 1];
        double sum = 0;
        for (int t = -radius; t <= radius; t++) {
            weights[t + radius] = Math.exp(-0.5 / (SIGMA * SIGMA) * t * t);
            sum += weights[t + radius];
        }
        for (int t = 0; t < weights.length; t++) {
            weights[t] /= sum;
        }
        float[] columns = new float[map.length];
        for (int x = 0; x < w; x++) {
            for (int y = 0; y < h; y++) {
                double acc = 0;
                for (int t = -radius; t <= radius; t++) {
                    acc += weights[t + radius] * map[reflect(y + t, h) * w + x];
                }
                columns[y * w + x] = (float) acc;
            }
        }
        float[] out = new float[map.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double acc = 0;
                for (int t = -radius; t <= radius; t++) {
                    acc += weights[t + radius] * columns[y * w + reflect(x + t, w)];
                }
                out[y * w + x] = (float) acc;
            }
        }
        return out;
    }

    /** scipy's 'reflect' (half-sample symmetric: d c b a | a b c d | d c b a). */
    private static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }
}
