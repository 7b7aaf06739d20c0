package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AttentionTest {
    @Test
    void theFusedKernelComputesWhatTheMaterialisedProbabilitiesGive() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray q = m.randomNormal(new Shape(2, 301, 24));
            NDArray k = m.randomNormal(new Shape(2, 77, 24));
            NDArray v = m.randomNormal(new Shape(2, 77, 24));
            NDArray fused = Kernels.attention(q, k, v, 3, null);
            assertThat(fused.getShape()).isEqualTo(new Shape(2, 301, 24));
            assertThat(maxDifference(fused, Attention.materialised(q, k, v, 3, null, null))).isLessThan(1e-5f);
            // an additive mask (causal over the first 77 queries, as CLIP's text encoder uses)
            float[] above = new float[77 * 77];
            for (int i = 0; i < 77; i++) {
                for (int j = i + 1; j < 77; j++) {
                    above[i * 77 + j] = Float.NEGATIVE_INFINITY;
                }
            }
            NDArray causal = m.create(above, new Shape(77, 77));
            NDArray self = q.get(":, :77, :");
            NDArray masked = Kernels.attention(self, k, v, 3, causal);
            assertThat(maxDifference(masked, Attention.materialised(self, k, v, 3, causal, null))).isLessThan(1e-5f);
            // the first query sees only the first key
            assertThat(maxDifference(masked.get(":, 0, :"), v.get(":, 0, :"))).isLessThan(1e-5f);
            assertThat(maxDifference(Attention.attend(q, k, v, 3, null, null), fused)).isEqualTo(0f);
        }
    }

    @Test
    void aHookSeesEveryProbabilityAndWhatItReturnsIsUsed() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(4);
            NDArray q = m.randomNormal(new Shape(2, 40, 16));
            NDArray k = m.randomNormal(new Shape(2, 10, 16));
            NDArray v = m.randomNormal(new Shape(2, 10, 16));
            Shape[] seen = new Shape[1];
            NDArray out = Attention.attend(q, k, v, 4, null, p -> {
                seen[0] = p.getShape();
                assertThat(maxDifference(p.sum(new int[] {-1}), p.getManager().ones(new Shape(2, 4, 40)))).isLessThan(1e-5f);
                return p.zerosLike().add(0.1f); // uniform over the 10 keys
            });
            assertThat(seen[0]).isEqualTo(new Shape(2, 4, 40, 10));
            // uniform weights make every query's output the mean of the values
            NDArray mean = v.mean(new int[] {1}, true).broadcast(new Shape(2, 40, 16));
            assertThat(maxDifference(out, mean)).isLessThan(1e-5f);
        }
    }

    private static float maxDifference(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }
}
