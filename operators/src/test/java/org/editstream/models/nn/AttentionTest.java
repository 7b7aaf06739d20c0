package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AttentionTest {
    @Test
    void attentionInRowChunksIsAttentionInOnePiece() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            NDArray q = m.randomNormal(new Shape(2, 301, 24));
            NDArray k = m.randomNormal(new Shape(2, 77, 24));
            NDArray v = m.randomNormal(new Shape(2, 77, 24));
            NDArray whole = Attention.attend(q, k, v, 3, null, null, Long.MAX_VALUE, 0);
            // 2 x 3 x 77 scores per query row: chunks of 21 rows, the last one short
            NDArray chunked = Attention.attend(q, k, v, 3, null, null, 2 * 3 * 77 * 21, 0);
            assertThat(chunked.getShape()).isEqualTo(new Shape(2, 301, 24));
            assertThat(chunked.sub(whole).abs().max().getFloat()).isLessThan(1e-6f);
            // a layer whose probabilities are observed is never chunked: the hook sees all rows at once
            long[] seen = new long[1];
            Attention.attend(q, k, v, 3, null, p -> {
                seen[0] = p.getShape().get(2);
                return p;
            }, 2 * 3 * 77 * 21, 0);
            assertThat(seen[0]).isEqualTo(301);
        }
    }
}
