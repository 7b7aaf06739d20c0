package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.ModelFolder;
import org.editstream.models.WeightSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

class UNetParityTest {
    @Test
    void matchesTheReferenceItemByItemAndAsABatch() {
        Path folder = Fixtures.path("sd-tiny/unet");
        try (NDManager manager = NDManager.newBaseManager()) {
            WeightSet weights = WeightSet.load(manager, ModelFolder.weights(folder), DataType.FLOAT32, UnaryOperator.identity());
            UNet unet = new UNet(weights.root(), ModelFolder.config(folder, UNetConfig.class));
            weights.requireAllUsed(List.of());
            Map<String, NDArray> golden = Fixtures.golden(manager, "sd-tiny/golden/unet.safetensors");
            NDArray sample = golden.get("sample");
            NDArray context = golden.get("encoder_hidden_states");
            NDArray timesteps = golden.get("timesteps");
            for (int i = 0; i < 2; i++) {
                NDArray out = unet.forward(sample.get(i + ":" + (i + 1)), timesteps.get(i + ":" + (i + 1)),
                        context.get(i + ":" + (i + 1)), UNetHooks.NONE);
                Fixtures.assertClose("item " + i, out, golden.get("output_per_item").get(i + ":" + (i + 1)), 1e-4);
            }
            NDArray batch = unet.forward(sample, manager.create(new float[] {500f, 500f}), context, UNetHooks.NONE);
            Fixtures.assertClose("batch at t=500", batch, golden.get("output_batch_t500"), 1e-4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sd15-unet.json", "sd15-inpaint-unet.json", "sd21-unet.json"})
    void buildsTheParametersOfRealUNets(String manifestName) {
        JsonNode manifest = Manifests.read(manifestName);
        WeightSet recording = WeightSet.recording();
        new UNet(recording.root(), Manifests.config(manifest, UNetConfig.class));
        Manifests.assertMatches(manifest, recording.requested());
    }
}
