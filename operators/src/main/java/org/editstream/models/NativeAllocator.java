package org.editstream.models;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.util.Locale;

/**
 * glibc's malloc tuned for the engine's large, short-lived tensors. By default glibc serves big blocks with
 * fresh mappings (over a threshold that adapts only up to 32 MB) and hands freed memory at the top of the heap
 * back to the kernel, so a model that frees each layer's activations gets them back as new pages every time
 * (page faults, cold caches). Here blocks up to {@link #MMAP_THRESHOLD} come from the heap and up to
 * {@link #TRIM_THRESHOLD} of free heap is kept, which costs at most that much extra resident memory. Applied
 * once per JVM, on Linux with glibc, unless the environment already sets glibc's own {@code MALLOC_*_}
 * variables (which then win) or {@code -Deditstream.tune-allocator=false} is given; anything else leaves the
 * allocator as it is.
 */
public final class NativeAllocator {
    /** What {@link #tune()} found. */
    public enum State { TUNED, LEFT_TO_ENVIRONMENT, DISABLED, UNSUPPORTED }

    /** System property that, set to {@code false}, leaves the allocator as glibc configures it. */
    public static final String PROPERTY = "editstream.tune-allocator";

    public static final int MMAP_THRESHOLD = 64 << 20;
    public static final int TRIM_THRESHOLD = 256 << 20;
    public static final int TOP_PAD = 64 << 20;
    // mallopt parameters, from glibc's malloc.h
    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;

    private interface C extends Library {
        int mallopt(int parameter, int value);
    }

    private static State state;
    private static C glibc;
    private static boolean glibcLooked;

    private NativeAllocator() {
    }

    /** Tunes the allocator once; later calls return what the first found. */
    public static synchronized State tune() {
        if (state == null) {
            state = apply();
        }
        return state;
    }

    /** glibc's allocator functions, or null on another C library or system. */
    private static C glibc() {
        if (!glibcLooked) {
            glibcLooked = true;
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                try {
                    glibc = Native.load("c", C.class);
                } catch (UnsatisfiedLinkError | RuntimeException e) {
                    glibc = null;
                }
            }
        }
        return glibc;
    }

    private static State apply() {
        if (!Boolean.parseBoolean(System.getProperty(PROPERTY, "true"))) {
            return State.DISABLED;
        }
        for (String variable : new String[] {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_"}) {
            if (System.getenv(variable) != null) {
                return State.LEFT_TO_ENVIRONMENT;
            }
        }
        C c = glibc();
        if (c == null) {
            return State.UNSUPPORTED;
        }
        try {
            // mallopt returns 1 on success; a C library without these parameters (musl) refuses or lacks them
            boolean ok = c.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                    & c.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
                    & c.mallopt(M_TOP_PAD, TOP_PAD) == 1;
            return ok ? State.TUNED : State.UNSUPPORTED;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return State.UNSUPPORTED;
        }
    }
}
