package org.editstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.cuda.CudaUtils;
import org.junit.jupiter.api.Test;

import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Out-of-memory splitting on a real GPU: each request asks the device for a share of its memory, so that the whole
 * batch cannot fit, half of it can, and one heavy request cannot even alone. libtorch's own out-of-memory error,
 * through DJL, is what the batcher has to recognise. Runs where {@link Fixtures#device()} is a GPU (the GPU kit);
 * elsewhere it is skipped, as there is no device memory to run out of.
 */
class BatcherOnDeviceTest {
    private record Request(int units, int id) {
    }

    @Test
    void aBatchThatDoesNotFitOnTheGpuIsSplitAndAHeavyRequestFailsAlone() throws Exception {
        Device device = Fixtures.device();
        assumeTrue(device.isGpu(), "no GPU (device " + device + "): out-of-memory splitting is run on CUDA only");
        MemoryUsage memory = CudaUtils.getGpuMemory(device);
        long total = memory.getMax();
        long free = total - memory.getUsed();
        // a unit is 30% of the device: two units fit where 70% is free, four never fit (120% of the device)
        assumeTrue(free >= 0.7 * total, "the GPU is in use: only " + free + " of " + total + " bytes free");
        long unit = (long) (0.3 * total);
        List<Integer> batchSizes = new ArrayList<>();
        try (Batcher<Request, Integer> batcher = new Batcher<>("gpu-memory", 4, Duration.ofMillis(200), r -> "same", batch -> {
            batchSizes.add(batch.size());
            long bytes = unit * batch.stream().mapToInt(Request::units).sum();
            try (NDManager m = NDManager.newBaseManager(device)) {
                m.zeros(new Shape(bytes), DataType.INT8).close();
            }
            return batch.stream().map(Request::id).toList();
        })) {
            List<CompletableFuture<Integer>> futures = new ArrayList<>();
            int[] units = {1, 1, 4, 1};
            for (int i = 0; i < units.length; i++) {
                futures.add(batcher.submit(new Request(units[i], i)));
            }
            assertThat(futures.get(0).get(60, TimeUnit.SECONDS)).isEqualTo(0);
            assertThat(futures.get(1).get(60, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(futures.get(3).get(60, TimeUnit.SECONDS)).isEqualTo(3);
            assertThatThrownBy(() -> futures.get(2).get(60, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(Batcher.OutOfDeviceMemory.class);
            // 4 -> [2 fits] + [2 does not] -> [1 heavy fails] + [1 fits]
            assertThat(batchSizes).containsExactly(4, 2, 2, 1, 1);
            assertThat(batcher.stats().splits()).isEqualTo(2);
            assertThat(batcher.stats().requests()).isEqualTo(3);
        }
    }
}
