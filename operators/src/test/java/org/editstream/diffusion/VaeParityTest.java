package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.ModelFolder;
import org.editstream.models.Safetensors;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class VaeParityTest {
    @Test
    void encodesAndDecodesAsTheReference() {
        Path folder = Fixtures.path("sd-tiny/vae");
        try (NDManager manager = NDManager.newBaseManager()) {
            Vae vae = load(manager, folder, ModelFolder.weights(folder));
            Map<String, NDArray> golden = Fixtures.golden(manager, "sd-tiny/golden/vae.safetensors");
            NDArray[] latent = vae.encode(golden.get("image"));
            Fixtures.assertClose("latent_mean", latent[0], golden.get("latent_mean"), 1e-4);
            Fixtures.assertClose("latent_std", latent[1], golden.get("latent_std"), 1e-4);
            Fixtures.assertClose("decoded", vae.decode(golden.get("latent")), golden.get("decoded"), 1e-4);
            assertThat(vae.config().scalingFactor()).isEqualTo(golden.get("scaling_factor").toType(DataType.FLOAT64, false).getDouble(), org.assertj.core.data.Offset.offset(1e-7));
        }
    }

    @Test
    void readsFilesWithTheDeprecatedAttentionNames(@TempDir Path dir) throws Exception {
        Path folder = Fixtures.path("sd-tiny/vae");
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList legacy = new NDList();
            Safetensors.read(manager, ModelFolder.weights(folder)).forEach((name, array) -> {
                String old = name.replace(".to_q.", ".query.").replace(".to_k.", ".key.").replace(".to_v.", ".value.")
                        .replace(".to_out.0.", ".proj_attn.");
                NDArray a = !old.equals(name) && array.getShape().dimension() == 2
                        ? array.reshape(array.getShape().get(0), array.getShape().get(1), 1, 1) : array;
                a.setName(old);
                legacy.add(a);
            });
            assertThat(legacy.stream().map(NDArray::getName)).anyMatch(n -> n.contains(".proj_attn."));
            Path file = dir.resolve("diffusion_pytorch_model.safetensors");
            try (OutputStream out = Files.newOutputStream(file)) {
                legacy.encode(out, NDList.Encoding.SAFETENSORS);
            }
            Vae vae = load(manager, folder, file);
            Map<String, NDArray> golden = Fixtures.golden(manager, "sd-tiny/golden/vae.safetensors");
            Fixtures.assertClose("decoded", vae.decode(golden.get("latent")), golden.get("decoded"), 1e-4);
        }
    }

    @Test
    void buildsTheParametersOfTheStableDiffusionVae() {
        JsonNode manifest = Manifests.read("sd-vae.json");
        WeightSet recording = WeightSet.recording();
        new Vae(recording.root(), Manifests.config(manifest, VaeConfig.class));
        Manifests.assertMatches(manifest, recording.requested());
    }

    private static Vae load(NDManager manager, Path configFolder, Path weightsFile) {
        WeightSet weights = WeightSet.load(manager, weightsFile, DataType.FLOAT32, Vae.LEGACY_NAMES);
        Vae vae = new Vae(weights.root(), ModelFolder.config(configFolder, VaeConfig.class));
        weights.requireAllUsed(List.of());
        return vae;
    }
}
