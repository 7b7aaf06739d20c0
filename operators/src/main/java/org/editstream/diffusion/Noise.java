package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.SplittableRandom;

/**
 * Seeded Gaussian noise, the same on every machine and JVM: {@code java.util.SplittableRandom(seed)} draws
 * uniform doubles u1, u2 (its {@code nextDouble()} is specified exactly), each pair gives two normals by the
 * Box-Muller transform {@code sqrt(-2 ln(1 - u1)) * (cos, sin)(2 pi u2)}, filled in row-major order as float32.
 */
public final class Noise {
    private Noise() {
    }

    public static NDArray gaussian(NDManager manager, Shape shape, long seed) {
        int n = Math.toIntExact(shape.size());
        float[] values = new float[n];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < n; i += 2) {
            double radius = Math.sqrt(-2 * Math.log(1 - random.nextDouble()));
            double angle = 2 * Math.PI * random.nextDouble();
            values[i] = (float) (radius * Math.cos(angle));
            if (i + 1 < n) {
                values[i + 1] = (float) (radius * Math.sin(angle));
            }
        }
        return manager.create(values, shape);
    }
}
