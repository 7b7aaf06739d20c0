package org.editstream.models.depth;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.WeightSet;
import org.editstream.models.dino.Dinov2Config;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class DepthAnythingParityTest {
    private static final Pattern LAYER = Pattern.compile("backbone_layer(\\d+)_patch_tokens");

    @Test
    void backboneTokensAndDepthMatchTheReference() {
        try (DepthAnything model = DepthAnything.load(Fixtures.path("depth-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "depth-tiny/golden/depth.safetensors");
            NDArray pixels = golden.get("pixel_values");
            // the golden's layers, in block order: whatever blocks the fixture recorded
            Map<Integer, String> layers = new TreeMap<>();
            for (String name : golden.keySet()) {
                Matcher matcher = LAYER.matcher(name);
                if (matcher.matches()) {
                    layers.put(Integer.parseInt(matcher.group(1)), name);
                }
            }
            assertThat(layers.keySet()).containsExactlyElementsOf(model.config().intermediateLayerIdx());
            int[] blocks = layers.keySet().stream().mapToInt(Integer::intValue).toArray();
            List<NDArray> tokens = model.backbone().intermediate(pixels, blocks);
            int i = 0;
            for (int block : layers.keySet()) {
                Fixtures.assertClose("block " + block + " patch tokens", model.backbone().patchTokens(tokens.get(i)),
                        golden.get("backbone_layer" + block + "_patch_tokens"), 1e-4);
                Fixtures.assertClose("block " + block + " class token", tokens.get(i).get(":, 0, :"),
                        golden.get("backbone_layer" + block + "_class_token"), 1e-4);
                i++;
            }
            Fixtures.assertClose("depth", model.depth(pixels), golden.get("depth"), 1e-3);
        }
    }

    @Test
    void buildsTheParametersOfTheReleasedCheckpoints() {
        for (String name : List.of("depth-anything-v2-vits.json", "depth-anything-v2-vitl.json")) {
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            DepthAnything.build(recording, Manifests.config(manifest, Dinov2Config.class),
                    Manifests.config(manifest, DepthAnythingConfig.class), null);
            Manifests.assertMatches(manifest, recording.requested());
        }
    }
}
