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
import static org.assertj.core.api.Assertions.within;

class GroundingDinoParityTest {
    private static final String FOLDER = "grounding-dino-tiny";
    private static final String GOLDEN = FOLDER + "/golden/gdino.safetensors";

    @Test
    void buildsTheParametersOfTheReleasedCheckpoints() {
        for (String name : List.of("grounding-dino-tiny.json", "grounding-dino-base.json")) {
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            new GroundingDino(null, recording.root(), Manifests.config(manifest, GroundingDinoConfig.class));
            Manifests.assertMatches(manifest, recording.requested());
        }
    }

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
    void proposalsDecoderHeadsAndBoxesEqualTheReferences() throws Exception {
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(GOLDEN));
        ObjectMapper json = new ObjectMapper();
        List<String> texts = Arrays.asList(json.readValue(meta.get("texts"), String[].class));
        BertTokenizer tokenizer = BertTokenizer.load(Fixtures.path(FOLDER));
        try (GroundingDino model = GroundingDino.load(Fixtures.path(FOLDER), Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            GroundingText text = GroundingText.of(tokenizer, texts).truncated(model.config().maxTextLen());
            GroundingDino.Detection d = model.detect(model.encode(golden.get("pixel_values"), golden.get("pixel_mask"), text));
            assertCloseWithInfinities("enc_outputs_class", d.proposalClass(), golden.get("enc_outputs_class"), 1e-4);
            assertCloseWithInfinities("enc_outputs_coord_logits", d.proposalBoxes(), golden.get("enc_outputs_coord_logits"), 1e-4);
            Fixtures.assertClose("init_reference_points", d.initialBoxes(), golden.get("init_reference_points"), 1e-4);
            Fixtures.assertClose("intermediate_hidden_states", d.hidden(), golden.get("intermediate_hidden_states"), 1e-4);
            Fixtures.assertClose("intermediate_reference_points", d.references(), golden.get("intermediate_reference_points"), 1e-4);
            long layers = d.hidden().getShape().get(1);
            Fixtures.assertClose("last_hidden_state", d.hidden().get(":, " + (layers - 1)), golden.get("last_hidden_state"), 1e-4);
            assertCloseWithInfinities("logits", d.logits(), golden.get("logits"), 5e-4);
            Fixtures.assertClose("pred_boxes", d.boxes(), golden.get("pred_boxes"), 1e-4);

            // the reference's own logits and boxes post-process to exactly its results (a score equal to the
            // threshold is not kept); ours to the same, but for a box whose score is within the logits' tolerance of
            // the threshold (5e-4 on a logit moves a sigmoid by at most a quarter of that), which either may keep
            assertPostProcessed("the reference's logits", golden.get("logits"), golden.get("pred_boxes"), meta, text, tokenizer, 0);
            assertPostProcessed("our logits", d.logits(), d.boxes(), meta, text, tokenizer, 5e-4f / 4);
        }
    }

    /**
     * The boxes {@link GroundingDino#boxes} gives for each image's logits and boxes equal the golden results: the same
     * kept boxes, scores within 1e-4, corners within 1e-2 px, the same phrases. A box whose score lies within
     * {@code ambiguity} of the threshold is left out on both sides.
     */
    private static void assertPostProcessed(String what, NDArray logits, NDArray boxes, Map<String, String> meta,
                                            GroundingText text, BertTokenizer tokenizer, float ambiguity) throws Exception {
        ObjectMapper json = new ObjectMapper();
        float threshold = Float.parseFloat(meta.get("threshold"));
        float textThreshold = Float.parseFloat(meta.get("text_threshold"));
        JsonNode sizes = json.readTree(meta.get("target_sizes_hw"));
        JsonNode labels = json.readTree(meta.get("result_labels"));
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            for (int i = 0; i < text.ids().length; i++) {
                List<GroundingDino.Box> actual = new ArrayList<>();
                for (GroundingDino.Box box : GroundingDino.boxes(logits.get(i), boxes.get(i), text.ids()[i], threshold,
                        textThreshold, sizes.get(i).get(0).asInt(), sizes.get(i).get(1).asInt(), tokenizer)) {
                    if (Math.abs(box.score() - threshold) > ambiguity) {
                        actual.add(box);
                    }
                }
                float[] scores = golden.get("result" + i + "_scores").toFloatArray();
                float[] corners = golden.get("result" + i + "_boxes").toFloatArray();
                List<Integer> expected = new ArrayList<>();
                for (int k = 0; k < scores.length; k++) {
                    if (Math.abs(scores[k] - threshold) > ambiguity) {
                        expected.add(k);
                    }
                }
                assertThat(actual).as("%s: boxes of image %d", what, i).hasSize(expected.size());
                for (int n = 0; n < actual.size(); n++) {
                    int k = expected.get(n);
                    GroundingDino.Box box = actual.get(n);
                    assertThat(box.score()).as("%s: score %d of image %d", what, k, i).isCloseTo(scores[k], within(1e-4f));
                    for (int c = 0; c < 4; c++) {
                        assertThat(box.corners()[c]).as("%s: corner %d of box %d of image %d", what, c, k, i)
                                .isCloseTo(corners[k * 4 + c], within(1e-2f));
                    }
                    assertThat(box.phrase()).as("%s: phrase %d of image %d", what, k, i).isEqualTo(labels.get(i).get(k).asText());
                }
            }
        }
    }

    /** Infinities in the same places, the finite values within {@code tolerance}. */
    private static void assertCloseWithInfinities(String what, NDArray actual, NDArray expected, double tolerance) {
        assertThat(actual.getShape()).as(what + " shape").isEqualTo(expected.getShape());
        float[] a = actual.toFloatArray();
        float[] e = expected.toFloatArray();
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            if (Float.isInfinite(e[i]) || Float.isInfinite(a[i])) {
                assertThat(a[i]).as("%s[%d]", what, i).isEqualTo(e[i]);
            } else {
                worst = Math.max(worst, Math.abs(a[i] - e[i]));
            }
        }
        assertThat(worst).as(what + ": max abs diff of the finite values").isLessThanOrEqualTo(tolerance);
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
