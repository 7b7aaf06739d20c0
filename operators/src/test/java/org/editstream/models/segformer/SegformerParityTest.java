package org.editstream.models.segformer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.Safetensors;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SegformerParityTest {
    private static final String GOLDEN = "segformer-tiny/golden/segformer.safetensors";

    @Test
    void preprocessingStagesLogitsAndLabelMapsMatchTheReference() throws Exception {
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(GOLDEN));
        try (Segformer model = Segformer.load(Fixtures.path("segformer-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            NDArray pixels = golden.get("pixel_values");
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < pixels.getShape().get(0); i++) {
                images.add(ImageIO.read(Fixtures.path("segformer-tiny/golden/image" + i + ".png").toFile()));
            }
            Fixtures.assertClose("pixel_values", model.pixelValues(m, images), pixels, 2e-2);

            List<NDArray> states = model.encoderStates(pixels);
            for (int k = 0; k < states.size(); k++) {
                Fixtures.assertClose("encoder_hidden_state" + k, states.get(k), golden.get("encoder_hidden_state" + k), 1e-4);
            }
            NDArray logits = model.logits(pixels);
            Fixtures.assertClose("logits", logits, golden.get("logits"), 1e-4);

            JsonNode sizes = new ObjectMapper().readTree(meta.get("target_sizes_hw"));
            for (int i = 0; i < sizes.size(); i++) {
                int h = sizes.get(i).get(0).asInt();
                int w = sizes.get(i).get(1).asInt();
                int[] ours = model.segmentation(golden.get("logits").get(i), w, h);
                long[] reference = golden.get("segmentation" + i).toLongArray();
                assertThat(ours).hasSize(reference.length);
                int same = 0;
                for (int p = 0; p < ours.length; p++) {
                    same += ours[p] == reference[p] ? 1 : 0;
                }
                // ties: about 0.3% of the pixels have top-2 logit margins under 1e-3 (fixtures README)
                assertThat((double) same / ours.length).as("label map " + i).isGreaterThanOrEqualTo(0.99);
            }
        }
    }

    @Test
    void buildsTheParametersOfTheReleasedCheckpoints() {
        for (String name : List.of("segformer-b0-ade.json", "segformer-b5-ade-640.json")) {
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            Segformer.build(recording, Manifests.config(manifest, SegformerConfig.class), null);
            Manifests.assertMatches(manifest, recording.requested());
        }
    }
}
