package org.editstream.recipes;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;

import java.lang.management.MemoryUsage;

/**
 * {@code --generation-batch auto}: pairs per UNet pass sized from the device's memory when the generation host
 * starts. On a CPU it is 1: there batching loses (two SD-1.5 pairs in one pass took 90.6 s against 43.8 s for one, on
 * the 2-core machine the memory benchmark ran on). On a GPU one probe pair is made after the models are loaded; as
 * libtorch's caching allocator keeps what the pass reserved, the device's used memory grows by the pair's peak, and
 * the batch is as many such pairs as fit in {@link #HEADROOM} of the device beside the models, at most {@link #MAX}.
 * Out-of-memory splitting (the batcher's) still guards a batch that does not fit after all.
 */
public final class GenerationBatch {
    /** The {@code generationBatch} value that asks for this sizing. */
    public static final int AUTO = 0;
    /** The largest batch chosen: the UNet batch is four times this. */
    public static final int MAX = 64;
    /** The fraction of the device's memory the models and the batch may take. */
    public static final double HEADROOM = 0.85;

    private GenerationBatch() {
    }

    /**
     * @param probe makes one pair with the loaded models (the host's global recipe, one step)
     */
    public static int auto(Device device, Runnable probe) {
        if (!device.isGpu()) {
            return 1;
        }
        MemoryUsage before = CudaUtils.getGpuMemory(device);
        probe.run();
        MemoryUsage after = CudaUtils.getGpuMemory(device);
        return fromMemory(after.getMax(), before.getUsed(), after.getUsed());
    }

    /**
     * @param total          the device's memory
     * @param usedBefore     used with the models loaded, before the probe
     * @param usedAfterProbe used after one pair (the pair's peak stays reserved)
     */
    static int fromMemory(long total, long usedBefore, long usedAfterProbe) {
        long perPair = Math.max(1, usedAfterProbe - usedBefore);
        long room = (long) (HEADROOM * total) - usedBefore;
        return (int) Math.max(1, Math.min(MAX, room / perPair));
    }

    /** The batch as start-up lines state it. */
    public static String describe(int batch) {
        return batch == AUTO ? "auto (sized from the device's memory at start; 1 on a CPU)" : Integer.toString(batch);
    }
}
