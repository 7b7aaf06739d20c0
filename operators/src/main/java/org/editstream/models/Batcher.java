package org.editstream.models;

import java.lang.management.ManagementFactory;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * Groups requests for one device into batches: requests with the same compatibility key (same model, steps,
 * size) wait up to {@code maxWait} after the oldest arrived, or until {@code maxBatch} of them are queued, and
 * then run together on the batcher's one worker thread; their futures complete with their own results. A
 * batch that runs out of device memory is split in halves and retried; a single request that still does not
 * fit fails with {@link OutOfDeviceMemory}. Other failures fail every request of the batch.
 */
public final class Batcher<Q, R> implements AutoCloseable {
    /** Runs one batch; returns one result per request, in order. */
    @FunctionalInterface
    public interface BatchFunction<Q, R> {
        List<R> run(List<Q> batch) throws Exception;
    }

    /** A request that does not fit on the device even alone. */
    public static final class OutOfDeviceMemory extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfDeviceMemory(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Counters for metrics: batches run, requests run, batches split for memory, requests waiting now, the
     * worker's wall time running batches (the device's busy time: the worker owns the device and reads every
     * result back before it moves on), and the process's CPU time over those runs (every thread of the process,
     * the native engine's included, so an upper bound when other work runs beside it).
     */
    public record Stats(long batches, long requests, long splits, int queued, long busyNanos, long cpuNanos) {
        public double meanBatchSize() {
            return batches == 0 ? 0 : (double) requests / batches;
        }

        /** Busy seconds per request run. */
        public double busySecondsPerRequest() {
            return requests == 0 ? 0 : busyNanos / 1e9 / requests;
        }

        /** Process CPU seconds per request run. */
        public double cpuSecondsPerRequest() {
            return requests == 0 ? 0 : cpuNanos / 1e9 / requests;
        }
    }

    private record Pending<Q, R>(Q request, Object key, long arrivedNanos, CompletableFuture<R> future) {
    }

    private final int maxBatch;
    private final long maxWaitNanos;
    private final Function<Q, Object> key;
    private final BatchFunction<Q, R> function;
    private final Deque<Pending<Q, R>> queue = new ArrayDeque<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread worker;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong splits = new AtomicLong();
    private final AtomicLong busyNanos = new AtomicLong();
    private final AtomicLong cpuNanos = new AtomicLong();
    private boolean closed;

    public Batcher(String name, int maxBatch, java.time.Duration maxWait, Function<Q, Object> key, BatchFunction<Q, R> function) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1, got " + maxBatch);
        }
        this.maxBatch = maxBatch;
        this.maxWaitNanos = maxWait.toNanos();
        this.key = key;
        this.function = function;
        this.worker = new Thread(this::work, "batcher-" + name);
        this.worker.setDaemon(true);
        this.worker.start();
        Resident.worker(this);
    }

    /** A request's result, waiting for its batch; a failure is rethrown as the batch function threw it. */
    public static <R> R await(CompletableFuture<R> result) {
        try {
            return result.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    public CompletableFuture<R> submit(Q request) {
        CompletableFuture<R> future = new CompletableFuture<>();
        lock.lock();
        try {
            if (closed) {
                future.completeExceptionally(new IllegalStateException("batcher is closed"));
                return future;
            }
            queue.add(new Pending<>(request, Objects.requireNonNull(key.apply(request)), System.nanoTime(), future));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return future;
    }

    public Stats stats() {
        lock.lock();
        try {
            return new Stats(batches.get(), requests.get(), splits.get(), queue.size(), busyNanos.get(), cpuNanos.get());
        } finally {
            lock.unlock();
        }
    }

    private void work() {
        while (true) {
            List<Pending<Q, R>> batch = nextBatch();
            if (batch == null) {
                return;
            }
            run(batch);
        }
    }

    /** Waits for a full batch of the oldest request's key, or for its wait bound; null once closed and empty. */
    private List<Pending<Q, R>> nextBatch() {
        lock.lock();
        try {
            while (true) {
                if (queue.isEmpty()) {
                    if (closed) {
                        return null;
                    }
                    changed.await();
                    continue;
                }
                Pending<Q, R> oldest = queue.peekFirst();
                long compatible = queue.stream().filter(p -> p.key().equals(oldest.key())).count();
                long waited = System.nanoTime() - oldest.arrivedNanos();
                if (compatible >= maxBatch || waited >= maxWaitNanos || closed) {
                    List<Pending<Q, R>> batch = new ArrayList<>();
                    for (Iterator<Pending<Q, R>> it = queue.iterator(); it.hasNext() && batch.size() < maxBatch; ) {
                        Pending<Q, R> p = it.next();
                        if (p.key().equals(oldest.key())) {
                            batch.add(p);
                            it.remove();
                        }
                    }
                    return batch;
                }
                changed.awaitNanos(maxWaitNanos - waited);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            lock.unlock();
        }
    }

    private void run(List<Pending<Q, R>> batch) {
        List<R> results = null;
        Throwable failure = null;
        long started = System.nanoTime();
        long cpuStarted = processCpuNanos();
        try {
            results = function.run(batch.stream().map(Pending::request).toList());
        } catch (Throwable e) {
            failure = e;
        }
        busyNanos.addAndGet(System.nanoTime() - started);
        cpuNanos.addAndGet(Math.max(0, processCpuNanos() - cpuStarted));
        if (failure != null) {
            if (outOfMemory(failure) && batch.size() > 1) {
                splits.incrementAndGet();
                int half = batch.size() / 2;
                run(batch.subList(0, half));
                run(batch.subList(half, batch.size()));
            } else if (outOfMemory(failure)) {
                batch.get(0).future().completeExceptionally(new OutOfDeviceMemory(
                        "a single request does not fit in device memory: " + failure.getMessage(), failure));
            } else {
                Throwable e = failure;
                batch.forEach(p -> p.future().completeExceptionally(e));
            }
            return;
        }
        batches.incrementAndGet();
        requests.addAndGet(batch.size());
        if (results == null || results.size() != batch.size()) {
            IllegalStateException wrong = new IllegalStateException("batch of " + batch.size() + " returned "
                    + (results == null ? "no" : results.size()) + " results");
            batch.forEach(p -> p.future().completeExceptionally(wrong));
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).future().complete(results.get(i));
        }
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }

    /** Device out-of-memory as the engines report it (CUDA's message through DJL, or the JVM's own). */
    public static boolean outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError) {
                return true;
            }
            String m = t.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("out of memory")) {
                return true;
            }
        }
        return false;
    }

    /** Stops taking requests, runs what is queued, and waits for the worker. */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            worker.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
