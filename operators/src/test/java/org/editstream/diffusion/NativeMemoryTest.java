package org.editstream.diffusion;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;
import org.editstream.models.ResidentMemory;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Many requests on one loaded pipeline leave no arrays behind and native memory flat. */
class NativeMemoryTest {
    @Test
    void requestsLeaveNothingBehind() throws IOException {
        try (StableDiffusion sd = StableDiffusion.load(Fixtures.path("sd-tiny"), Device.cpu(), DataType.FLOAT32)) {
            for (int i = 0; i < 10; i++) { // warm up allocator caches, libtorch's per-shape state and the JIT, at the sizes below
                sd.textToImage("a red dog", "blurry", 4, 7.5, i, 64, 48, StableDiffusion.StepListener.NONE);
            }
            int arrays = sd.manager().getManagedArrays().size();
            long before = ResidentMemory.nativeKib();
            for (int i = 0; i < 40; i++) {
                sd.textToImage("a red dog on the grass " + i, "blurry", 4, 7.5, 100 + i, 64, 48,
                        StableDiffusion.StepListener.NONE);
            }
            assertThat(sd.manager().getManagedArrays()).as("arrays held by the pipeline's manager").hasSize(arrays);
            if (before > 0) {
                // one request allocates tens of MB of intermediates, so 40 leaked requests would be far above this; the
                // margin is for memory freed by the JVM's compilers and libtorch that glibc keeps resident (the
                // allocator tuning keeps up to 256 MB), which measured 6 - 55 MB here from run to run
                long growth = ResidentMemory.nativeKib() - before;
                System.out.println("native memory growth over 40 requests: " + growth + " KiB");
                assertThat(growth).as("native memory growth, KiB").isLessThan(128 * 1024);
            }
        }
    }

    @Test
    void concurrentRequestsShareOneLoadedPipelineAndAgree() throws Exception {
        StableDiffusion shared = SharedPipelines.get(Fixtures.path("sd-tiny"), Device.cpu(), DataType.FLOAT32);
        assertThat(SharedPipelines.get(Fixtures.path("sd-tiny/../sd-tiny"), Device.cpu(), DataType.FLOAT32)).isSameAs(shared);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> shared.textToImage("a red dog", "", 3, 7.5, 5, 64, 64, StableDiffusion.StepListener.NONE));
            var b = pool.submit(() -> shared.textToImage("a red dog", "", 3, 7.5, 5, 64, 64, StableDiffusion.StepListener.NONE));
            java.awt.image.BufferedImage first = a.get();
            java.awt.image.BufferedImage second = b.get();
            assertThat(first.getRGB(0, 0, 64, 64, null, 0, 64)).containsExactly(second.getRGB(0, 0, 64, 64, null, 0, 64));
        } finally {
            pool.shutdown();
        }
    }
}
