package org.editstream.models;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class NativeAllocatorTest {
    @Test
    void glibcTakesTheSettingsOnceUnlessTheEnvironmentHasItsOwn() {
        assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"), "glibc only");
        NativeAllocator.State first = NativeAllocator.tune();
        boolean environment = System.getenv("MALLOC_MMAP_THRESHOLD_") != null || System.getenv("MALLOC_TRIM_THRESHOLD_") != null
                || System.getenv("MALLOC_TOP_PAD_") != null;
        // this build's machines run glibc, whose mallopt accepts all three settings
        assertThat(first).isEqualTo(environment ? NativeAllocator.State.LEFT_TO_ENVIRONMENT : NativeAllocator.State.TUNED);
        assertThat(NativeAllocator.tune()).isSameAs(first);
    }
}
