package org.editstream.instruct;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;

/**
 * At most {@code permits} operations in flight, without blocking a thread: {@link #acquire()} returns a
 * future that completes when a permit is free; {@link #release()} hands the permit to the oldest waiter.
 */
final class AsyncLimiter {
    private final int permits;
    private final Queue<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int inFlight;

    AsyncLimiter(int permits) {
        this.permits = permits;
    }

    CompletableFuture<Void> acquire() {
        synchronized (this) {
            if (inFlight < permits) {
                inFlight++;
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> ticket = new CompletableFuture<>();
            waiting.add(ticket);
            return ticket;
        }
    }

    void release() {
        CompletableFuture<Void> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                inFlight--;
                return;
            }
        }
        // the permit passes to the waiter; complete outside the lock (its continuation may run here)
        next.complete(null);
    }

    synchronized int inFlight() {
        return inFlight;
    }

    synchronized int queued() {
        return waiting.size();
    }
}
