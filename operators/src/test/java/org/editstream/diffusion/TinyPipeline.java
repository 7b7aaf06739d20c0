package org.editstream.diffusion;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;

/** The sd-tiny fixture pipeline, loaded once per test JVM (skips the test when the fixtures are absent). */
public final class TinyPipeline {
    private TinyPipeline() {
    }

    public static StableDiffusion get() {
        return SharedPipelines.get(Fixtures.path("sd-tiny"), Device.cpu(), DataType.FLOAT32);
    }
}
