package org.editstream.models;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BatcherTest {
    private record Job(String model, int value) {
    }

    @Test
    void groupsCompatibleRequestsUpToTheBatchSize() throws Exception {
        List<List<Integer>> seen = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch gate = new CountDownLatch(1);
        try (Batcher<Job, Integer> batcher = new Batcher<>("test", 3, Duration.ofSeconds(5), Job::model, batch -> {
            gate.await();
            seen.add(batch.stream().map(Job::value).toList());
            return batch.stream().map(j -> j.value() * 10).toList();
        })) {
            List<CompletableFuture<Integer>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(batcher.submit(new Job(i % 2 == 0 ? "a" : "b", i)));
            }
            gate.countDown();
            for (int i = 0; i < 6; i++) {
                assertThat(futures.get(i).get(10, TimeUnit.SECONDS)).isEqualTo(i * 10);
            }
            assertThat(seen).containsExactlyInAnyOrder(List.of(0, 2, 4), List.of(1, 3, 5));
            assertThat(batcher.stats().meanBatchSize()).isEqualTo(3.0);
        }
    }

    @Test
    void aPartialBatchWaitsForCompanionsThenRunsWithoutFillingUp() throws Exception {
        List<List<Integer>> seen = Collections.synchronizedList(new ArrayList<>());
        try (Batcher<Job, Integer> batcher = new Batcher<>("test", 8, Duration.ofSeconds(2), Job::model, batch -> {
            seen.add(batch.stream().map(Job::value).toList());
            return batch.stream().map(Job::value).toList();
        })) {
            CompletableFuture<Integer> first = batcher.submit(new Job("a", 1));
            CompletableFuture<Integer> second = batcher.submit(new Job("a", 2));
            CompletableFuture<Integer> third = batcher.submit(new Job("a", 3));
            assertThat(List.of(first.get(10, TimeUnit.SECONDS), second.get(10, TimeUnit.SECONDS),
                    third.get(10, TimeUnit.SECONDS))).containsExactly(1, 2, 3);
            // three of at most eight: they waited together and the wait bound, not a full batch, released them
            assertThat(seen).containsExactly(List.of(1, 2, 3));
            assertThat(batcher.stats().batches()).isEqualTo(1);
        }
    }

    @Test
    void outOfMemorySplitsTheBatchAndASingleRequestThatDoesNotFitFails() throws Exception {
        try (Batcher<Job, Integer> batcher = new Batcher<>("test", 4, Duration.ofMillis(20), j -> "same", batch -> {
            if (batch.size() > 1 || batch.get(0).value() == 13) {
                throw new RuntimeException("CUDA out of memory. Tried to allocate 2.00 GiB");
            }
            return List.of(batch.get(0).value());
        })) {
            List<CompletableFuture<Integer>> futures = new ArrayList<>();
            for (int v : new int[] {1, 2, 13, 4}) {
                futures.add(batcher.submit(new Job("m", v)));
            }
            assertThat(futures.get(0).get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(futures.get(1).get(10, TimeUnit.SECONDS)).isEqualTo(2);
            assertThat(futures.get(3).get(10, TimeUnit.SECONDS)).isEqualTo(4);
            assertThatThrownBy(() -> futures.get(2).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(Batcher.OutOfDeviceMemory.class);
            assertThat(batcher.stats().splits()).isPositive();
            // only the batches that ran count as run
            assertThat(batcher.stats().requests()).isEqualTo(3);
            assertThat(batcher.stats().batches()).isEqualTo(3);
        }
    }

    @Test
    void otherFailuresFailTheWholeBatchAndClosedBatchersRefuse() throws Exception {
        Batcher<Job, Integer> batcher = new Batcher<>("test", 2, Duration.ofMillis(10), Job::model, batch -> {
            throw new IllegalStateException("NaN in the output");
        });
        CompletableFuture<Integer> a = batcher.submit(new Job("m", 1));
        CompletableFuture<Integer> b = batcher.submit(new Job("m", 2));
        assertThatThrownBy(() -> a.get(10, TimeUnit.SECONDS)).hasMessageContaining("NaN");
        assertThatThrownBy(() -> b.get(10, TimeUnit.SECONDS)).hasMessageContaining("NaN");
        batcher.close();
        assertThatThrownBy(() -> batcher.submit(new Job("m", 3)).get(1, TimeUnit.SECONDS)).hasMessageContaining("closed");
    }
}
