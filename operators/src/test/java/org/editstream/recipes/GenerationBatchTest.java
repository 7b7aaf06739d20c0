package org.editstream.recipes;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerationBatchTest {
    private static final long GIB = 1L << 30;

    @Test
    void onACpuItIsOneWithoutAProbe() {
        AtomicInteger probes = new AtomicInteger();
        assertThat(GenerationBatch.auto(Device.cpu(), probes::incrementAndGet)).isEqualTo(1);
        assertThat(probes).hasValue(0);
    }

    @Test
    void onAGpuAsManyProbedPairsAsFitBesideTheModelsInTheHeadroom() {
        // 141 GiB device, 6 GiB of models, one pair's peak 3 GiB: (0.85 x 141 - 6) / 3 = 37.95 -> 37
        assertThat(GenerationBatch.fromMemory(141 * GIB, 6 * GIB, 9 * GIB)).isEqualTo(37);
        assertThat(GenerationBatch.fromMemory(24 * GIB, 6 * GIB, 14 * GIB)).as("one fits barely").isEqualTo(1);
        assertThat(GenerationBatch.fromMemory(16 * GIB, 14 * GIB, 20 * GIB)).as("none fits: one, and splitting guards it").isEqualTo(1);
        assertThat(GenerationBatch.fromMemory(1000 * GIB, 1 * GIB, 1 * GIB + 1)).as("capped").isEqualTo(GenerationBatch.MAX);
    }

    @Test
    void theToolsAndTheHostTakeAutoAndRefuseNonsense() {
        RecipeBook.Tools auto = new RecipeBook.Tools(null, null, 30, null, GenerationBatch.AUTO, false);
        assertThat(auto.generationBatch()).isEqualTo(GenerationBatch.AUTO);
        assertThat(GenerationBatch.describe(GenerationBatch.AUTO)).startsWith("auto");
        assertThatThrownBy(() -> new RecipeBook.Tools(null, null, 30, null, -1, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("or auto");
    }
}
