package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.editstream.models.Manifests;
import org.editstream.models.ModelFolder;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

class GroundingDinoParityTest {
    private static final String FOLDER = "grounding-dino-tiny";
    private static final String GOLDEN = FOLDER + "/golden/gdino.safetensors";

    @Test
    void theSwinOfTheReleasedCheckpointsHasTheirBackbonesTensors() {
        String prefix = "model.backbone.conv_encoder.model.";
        for (String name : List.of("grounding-dino-tiny.json", "grounding-dino-base.json")) {
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            new Swin(recording.root().child(prefix.substring(0, prefix.length() - 1)),
                    Manifests.config(manifest, GroundingDinoConfig.class).backboneConfig());
            Map<String, Shape> backbone = new TreeMap<>();
            manifest.path("parameters").fields().forEachRemaining(e -> {
                if (e.getKey().startsWith(prefix) && !e.getKey().endsWith("relative_position_index")) {
                    long[] dims = new long[e.getValue().size()];
                    for (int i = 0; i < dims.length; i++) {
                        dims[i] = e.getValue().get(i).asLong();
                    }
                    backbone.put(e.getKey(), new Shape(dims));
                }
            });
            assertThat(backbone).as(name).isNotEmpty();
            assertThat(new TreeMap<>(recording.requested())).as(name).isEqualTo(backbone);
        }
    }

    @Test
    void pixelValuesAndMaskEqualTheReferenceProcessors() throws Exception {
        GroundingDinoProcessor processor = GroundingDinoProcessor.load(Fixtures.path(FOLDER));
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < golden.get("pixel_values").getShape().get(0); i++) {
                images.add(ImageIO.read(Fixtures.path(FOLDER + "/golden/image" + i + ".png").toFile()));
            }
            GroundingDinoProcessor.Pixels pixels = processor.pixels(m, images);
            Fixtures.assertClose("pixel_values", pixels.values(), golden.get("pixel_values"), 2e-2);
            assertThat(pixels.mask().getShape()).isEqualTo(golden.get("pixel_mask").getShape());
            assertThat(pixels.mask().toLongArray()).containsExactly(golden.get("pixel_mask").toLongArray());
        }
    }

    @Test
    void theResizeKeepsTheShortSideUnlessTheLongOneWouldPassItsLimit() {
        GroundingDinoProcessor processor = GroundingDinoProcessor.load(Path.of("no-such-folder"));
        assertThat(processor.resizedSize(480, 640)).containsExactly(800, 1066);
        assertThat(processor.resizedSize(1000, 3000)).containsExactly(444, 1333);
        assertThat(processor.resizedSize(800, 900)).containsExactly(800, 900);
    }

    @Test
    void theEncodersImageAndTextStatesEqualTheReferences() throws Exception {
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(GOLDEN));
        List<String> texts = Arrays.asList(new ObjectMapper().readValue(meta.get("texts"), String[].class));
        try (GroundingDino model = GroundingDino.load(Fixtures.path(FOLDER), Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            GroundingText text = GroundingText.of(BertTokenizer.load(Fixtures.path(FOLDER)), texts)
                    .truncated(model.config().maxTextLen());
            GroundingDino.Encoded encoded = model.encode(golden.get("pixel_values"), golden.get("pixel_mask"), text);
            Fixtures.assertClose("encoder_last_hidden_state_vision", encoded.vision(),
                    golden.get("encoder_last_hidden_state_vision"), 1e-4);
            Fixtures.assertClose("encoder_last_hidden_state_text", encoded.text(), golden.get("encoder_last_hidden_state_text"), 1e-4);
        }
    }

    @Test
    void swinMapsLevelMasksAndPositionsEqualTheReferences() {
        Path folder = Fixtures.path(FOLDER);
        GroundingDinoConfig config = ModelFolder.config(folder, GroundingDinoConfig.class);
        try (NDManager m = NDManager.newBaseManager()) {
            WeightSet weights = WeightSet.load(m, ModelFolder.weights(folder), DataType.FLOAT32, UnaryOperator.identity());
            Swin swin = new Swin(weights.root().child("model.backbone.conv_encoder.model"), config.backboneConfig());
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            List<NDArray> maps = swin.forward(golden.get("pixel_values"));
            assertThat(maps).hasSize(config.backboneConfig().outFeatures().size());
            for (int k = 0; k < maps.size(); k++) {
                NDArray map = maps.get(k);
                Fixtures.assertClose("backbone_feature" + k, map, golden.get("backbone_feature" + k), 1e-4);
                NDArray mask = LevelPositions.mask(golden.get("pixel_mask"), map.getShape().get(2), map.getShape().get(3));
                assertThat(mask.toLongArray()).as("backbone_mask" + k).containsExactly(golden.get("backbone_mask" + k).toLongArray());
                Fixtures.assertClose("backbone_pos" + k, LevelPositions.embedding(mask, config.dModel() / 2,
                        config.positionalEmbeddingTemperature()), golden.get("backbone_pos" + k), 1e-4);
            }
        }
    }
}
