package org.editstream.perception;

import org.editstream.models.Batcher;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * A model loaded once per JVM (per folder) and shared by every recipe and scorer in it: its requests are grouped by a
 * {@link Batcher} and run together on the batcher's worker, which owns the model's device.
 *
 * @param <Q> a request
 * @param <R> its result
 */
abstract class ModelHost<Q, R> {
    private final String id;
    private final Batcher<Q, R> batcher;

    /**
     * @param id      the model id for the samples' records
     * @param name    the batcher's name (its worker thread and metrics)
     * @param batchOf what requests must share to run in one batch
     */
    ModelHost(String id, String name, int maxBatch, Duration maxWait, Function<Q, Object> batchOf) {
        this.id = id;
        this.batcher = new Batcher<>(name, maxBatch, maxWait, batchOf, this::run);
    }

    /** The host of a folder, made on first use and shared by the JVM after that. */
    static <H> H perFolder(Map<String, H> hosts, Path folder, Function<Path, H> open) {
        return hosts.computeIfAbsent(folder.toAbsolutePath().normalize().toString(), k -> open.apply(Path.of(k)));
    }

    /** One batch of requests on the model; one result per request, in order. */
    abstract List<R> run(List<Q> batch);

    /** The model id for the samples' records. */
    public String id() {
        return id;
    }

    public Batcher.Stats stats() {
        return batcher.stats();
    }

    final CompletableFuture<R> submit(Q request) {
        return batcher.submit(request);
    }

    /** {@link #submit}, waiting for its batch; a model failure is rethrown as it was thrown. */
    final R await(Q request) {
        return Batcher.await(submit(request));
    }
}
