package org.editstream.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory, for the tests that check native memory and the memory benchmark (Linux; -1
 * elsewhere). Native memory here is resident memory less what the JVM has committed for its heap and its non-heap
 * pools: libtorch's tensors and workspaces, glibc's retained arenas, and the JVM's own threads and GC structures.
 */
public final class ResidentMemory {
    private static final Path STATUS = Path.of("/proc/self/status");

    private ResidentMemory() {
    }

    /** Resident set size in KiB, or -1 where /proc/self/status does not exist. */
    public static long kib() {
        return status("VmRSS:");
    }

    /** The peak resident set size of the process so far in KiB, or -1 where /proc/self/status does not exist. */
    public static long peakKib() {
        return status("VmHWM:");
    }

    /** What the JVM has committed for its heap and non-heap pools (metaspace, code cache), in KiB. */
    public static long jvmCommittedKib() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        return (memory.getHeapMemoryUsage().getCommitted() + memory.getNonHeapMemoryUsage().getCommitted()) / 1024;
    }

    /** Resident memory less what the JVM has committed, after a collection: the native allocations. */
    public static long nativeKib() {
        if (kib() < 0) {
            return -1;
        }
        System.gc();
        return kib() - jvmCommittedKib();
    }

    private static long status(String field) {
        if (!Files.exists(STATUS)) {
            return -1;
        }
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return -1;
    }
}
