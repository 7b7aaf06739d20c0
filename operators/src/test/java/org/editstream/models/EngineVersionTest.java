package org.editstream.models;

import ai.djl.engine.Engine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A run on a libtorch of the machine's own (DJL's JNI built from source by {@code engine/build-jni.sh}) names the
 * version it means with {@code -Deditstream.expect-libtorch=VERSION}: DJL must then run on it, not on the libtorch it
 * bundles, or the parity tests beside this one would prove nothing about it.
 */
class EngineVersionTest {
    @Test
    void theEngineRunsOnTheLibtorchTheRunAskedFor() {
        String expected = System.getProperty("editstream.expect-libtorch");
        assumeTrue(expected != null && !expected.isBlank(), "no -Deditstream.expect-libtorch given; skipping");
        assertThat(Engine.getInstance().getEngineName()).isEqualTo("PyTorch");
        assertThat(Engine.getInstance().getVersion()).isEqualTo(expected);
    }
}
