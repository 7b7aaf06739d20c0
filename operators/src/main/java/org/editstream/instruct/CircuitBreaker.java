package org.editstream.instruct;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Turns a dead server into fast failures: after {@code threshold} consecutive failed requests the circuit
 * opens and requests fail at once for the cooldown; then one probe goes through (half-open), and its
 * outcome closes the circuit or opens it for another cooldown. Thread-safe.
 */
final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final int threshold;
    private final long cooldownNanos;
    private final LongSupplier clock;
    private State state = State.CLOSED;
    private int consecutiveFailures;
    private long openedAt;

    CircuitBreaker(int threshold, Duration cooldown, LongSupplier clock) {
        this.threshold = threshold;
        this.cooldownNanos = cooldown.toNanos();
        this.clock = clock;
    }

    /** Whether a request may go to the server now; in half-open state only the one probe may. */
    synchronized boolean allow() {
        if (state == State.OPEN && clock.getAsLong() - openedAt >= cooldownNanos) {
            state = State.HALF_OPEN;
            return true;
        }
        return state == State.CLOSED;
    }

    synchronized void success() {
        state = State.CLOSED;
        consecutiveFailures = 0;
    }

    synchronized void failure() {
        consecutiveFailures++;
        if (state == State.HALF_OPEN || consecutiveFailures >= threshold) {
            state = State.OPEN;
            openedAt = clock.getAsLong();
        }
    }

    synchronized State state() {
        return state;
    }

    synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Seconds until an open circuit lets a probe through. */
    synchronized long secondsUntilProbe() {
        return Math.max(0, (cooldownNanos - (clock.getAsLong() - openedAt)) / 1_000_000_000L);
    }
}
