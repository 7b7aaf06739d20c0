package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;

import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Multi-scale deformable attention (Deformable DETR; the reference's names {@code sampling_offsets},
 * {@code attention_weights}, {@code value_proj}, {@code output_proj}): each query attends to a few points per head and
 * level, at learned offsets from its reference point, read from the levels' maps by bilinear interpolation
 * ({@link Kernels#deformableSampling}: as {@code grid_sample} with align_corners false and zero padding reads them).
 */
public final class DeformableAttention {
    private static final LongAdder CALLS = new LongAdder();
    private static final LongAdder NANOS = new LongAdder();

    /** Forward calls in this JVM so far and their wall time, for benchmarks' shares (exact on a CPU, where calls finish). */
    public record Timing(long calls, double seconds) {
    }

    private final int heads;
    private final int levels;
    private final int points;
    private final long dim;
    private final Linear offsets;
    private final Linear weights;
    private final Linear valueProjection;
    private final Linear outputProjection;

    public DeformableAttention(Parameters p, long dim, int heads, int levels, int points) {
        if (dim % heads != 0) {
            throw new IllegalArgumentException("d_model " + dim + " does not split into " + heads + " heads");
        }
        this.heads = heads;
        this.levels = levels;
        this.points = points;
        this.dim = dim;
        this.offsets = new Linear(p.child("sampling_offsets"), dim, (long) heads * levels * points * 2, true);
        this.weights = new Linear(p.child("attention_weights"), dim, (long) heads * levels * points, true);
        this.valueProjection = new Linear(p.child("value_proj"), dim, dim, true);
        this.outputProjection = new Linear(p.child("output_proj"), dim, dim, true);
    }

    /**
     * @param queries    [B, Q, C], position embeddings already added
     * @param values     [B, S, C], the levels' maps flattened in order
     * @param valueMask  [B, S] 1 where a value is image, 0 where it is padding (read as 0), or null
     * @param reference  [B, Q, L, 2] points (x, y), or [B, Q, L, 4] boxes (cx, cy, w, h), in [0, 1]
     * @param shapes     each level's {height, width}
     * @return [B, Q, C]
     */
    public NDArray forward(NDArray queries, NDArray values, NDArray valueMask, NDArray reference, List<long[]> shapes) {
        long start = System.nanoTime();
        try {
            return attend(queries, values, valueMask, reference, shapes);
        } finally {
            NANOS.add(System.nanoTime() - start);
            CALLS.increment();
        }
    }

    public static Timing timing() {
        return new Timing(CALLS.sum(), NANOS.sum() / 1e9);
    }

    private NDArray attend(NDArray queries, NDArray values, NDArray valueMask, NDArray reference, List<long[]> shapes) {
        long batch = queries.getShape().get(0);
        long q = queries.getShape().get(1);
        long s = values.getShape().get(1);
        NDArray value = valueProjection.forward(values);
        if (valueMask != null) {
            value = value.mul(valueMask.expandDims(-1).toType(value.getDataType(), false));
        }
        value = value.reshape(batch, s, heads, dim / heads);
        NDArray offset = offsets.forward(queries).reshape(batch, q, heads, levels, points, 2);
        NDArray weight = weights.forward(queries).reshape(batch, q, heads, (long) levels * points).softmax(-1)
                .reshape(batch, q, heads, levels, points);
        NDArray locations;
        if (reference.getShape().get(3) == 2) {
            float[] normalizer = new float[levels * 2];
            for (int l = 0; l < levels; l++) {
                normalizer[2 * l] = shapes.get(l)[1];
                normalizer[2 * l + 1] = shapes.get(l)[0];
            }
            NDArray n = queries.getManager().create(normalizer, new Shape(1, 1, 1, levels, 1, 2));
            locations = reference.reshape(batch, q, 1, levels, 1, 2).add(offset.div(n));
        } else {
            NDArray r = reference.reshape(batch, q, 1, levels, 1, 4);
            locations = r.get(":, :, :, :, :, :2").add(offset.div(points).mul(r.get(":, :, :, :, :, 2:")).mul(0.5f));
        }
        long[] flat = new long[2 * levels];
        for (int l = 0; l < levels; l++) {
            flat[2 * l] = shapes.get(l)[0];
            flat[2 * l + 1] = shapes.get(l)[1];
        }
        return outputProjection.forward(Kernels.deformableSampling(value, flat, locations, weight));
    }

    /** The maps of several levels [B, C, H, W] flattened to one sequence [B, sum(H * W), C]. */
    public static NDArray flatten(List<NDArray> maps) {
        NDList rows = new NDList();
        for (NDArray m : maps) {
            Shape sh = m.getShape();
            rows.add(m.reshape(sh.get(0), sh.get(1), sh.get(2) * sh.get(3)).transpose(0, 2, 1));
        }
        return NDArrays.concat(rows, 1);
    }
}
