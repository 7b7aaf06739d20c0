package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DeformableSamplingTest {
    private static final int BATCH = 2;
    private static final int QUERIES = 37;
    private static final int HEADS = 3;
    private static final int DIM = 5;
    private static final int POINTS = 4;
    /** Levels of several sizes, a single pixel among them. */
    private static final long[] SHAPES = {7, 9, 4, 5, 1, 1, 2, 3};
    private static final int LEVELS = SHAPES.length / 2;

    @Test
    void theWeightedSumOfBilinearSamplesIsGridSamplesWithZerosOutsideEachMap() {
        int tokens = 0;
        for (int l = 0; l < LEVELS; l++) {
            tokens += (int) (SHAPES[2 * l] * SHAPES[2 * l + 1]);
        }
        Random random = new Random(11);
        float[] value = new float[BATCH * tokens * HEADS * DIM];
        for (int i = 0; i < value.length; i++) {
            value[i] = (float) random.nextGaussian();
        }
        int count = BATCH * QUERIES * HEADS * LEVELS * POINTS;
        float[] locations = new float[count * 2];
        float[] weights = new float[count];
        for (int i = 0; i < count; i++) {
            // mostly inside, some across the border and far outside; some exactly on a pixel centre or the map's edge
            for (int c = 0; c < 2; c++) {
                locations[2 * i + c] = switch (random.nextInt(8)) {
                    case 0 -> (float) (random.nextDouble() * 6 - 3);
                    case 1 -> random.nextBoolean() ? 0f : 1f;
                    case 2 -> (random.nextInt(3) + 0.5f) / 3f;
                    default -> (float) (random.nextDouble() * 1.2 - 0.1);
                };
            }
            weights[i] = (float) random.nextDouble();
        }
        locations[0] = Float.NaN; // a NaN location reads nothing
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = Kernels.deformableSampling(m.create(value, new Shape(BATCH, tokens, HEADS, DIM)), SHAPES,
                    m.create(locations, new Shape(BATCH, QUERIES, HEADS, LEVELS, POINTS, 2)),
                    m.create(weights, new Shape(BATCH, QUERIES, HEADS, LEVELS, POINTS)));
            assertThat(out.getShape()).isEqualTo(new Shape(BATCH, QUERIES, HEADS * DIM));
            float[] actual = out.toFloatArray();
            float[] expected = sampled(value, tokens, locations, weights);
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).as("output %d", i).isCloseTo(expected[i], within(1e-5f));
            }
        }
    }

    /** grid_sample's bilinear reading (align_corners false, zero padding), point by point, weighted and summed. */
    private static float[] sampled(float[] value, int tokens, float[] locations, float[] weights) {
        float[] out = new float[BATCH * QUERIES * HEADS * DIM];
        for (int b = 0; b < BATCH; b++) {
            for (int q = 0; q < QUERIES; q++) {
                for (int h = 0; h < HEADS; h++) {
                    int start = 0;
                    for (int l = 0; l < LEVELS; l++) {
                        int height = (int) SHAPES[2 * l];
                        int width = (int) SHAPES[2 * l + 1];
                        for (int p = 0; p < POINTS; p++) {
                            int point = (((b * QUERIES + q) * HEADS + h) * LEVELS + l) * POINTS + p;
                            double x = locations[2 * point] * width - 0.5;
                            double y = locations[2 * point + 1] * height - 0.5;
                            if (Double.isNaN(x) || Double.isNaN(y)) {
                                continue;
                            }
                            int x0 = (int) Math.floor(x);
                            int y0 = (int) Math.floor(y);
                            for (int dy = 0; dy < 2; dy++) {
                                for (int dx = 0; dx < 2; dx++) {
                                    int xi = x0 + dx;
                                    int yi = y0 + dy;
                                    if (xi < 0 || xi >= width || yi < 0 || yi >= height) {
                                        continue;
                                    }
                                    double w = weights[point] * (dx == 1 ? x - x0 : 1 - (x - x0)) * (dy == 1 ? y - y0 : 1 - (y - y0));
                                    int token = start + yi * width + xi;
                                    for (int d = 0; d < DIM; d++) {
                                        out[((b * QUERIES + q) * HEADS + h) * DIM + d] +=
                                                (float) (w * value[((b * tokens + token) * HEADS + h) * DIM + d]);
                                    }
                                }
                            }
                        }
                        start += height * width;
                    }
                }
            }
        }
        return out;
    }
}
