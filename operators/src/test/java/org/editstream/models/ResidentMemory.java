package org.editstream.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory, for tests that check native memory (Linux; -1 elsewhere). */
public final class ResidentMemory {
    private ResidentMemory() {
    }

    /** Resident set size in KiB, or -1 where /proc/self/status does not exist. */
    public static long kib() {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }

    /** Resident memory less what the JVM has committed for its heap and metadata: the native allocations. */
    public static long nativeKib() {
        long resident = kib();
        if (resident < 0) {
            return -1;
        }
        System.gc();
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        return resident - (memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted()) / 1024;
    }
}
