package org.editstream.models.sam;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.Fixtures;
import org.editstream.models.ImageTensors;
import org.editstream.models.Manifests;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class SegmentAnythingParityTest {
    /** A golden case: {@code <prompt>_<multi|single>_iou}, the prompt being {@code points} or {@code box}. */
    private static final Pattern CASE = Pattern.compile("(points|box)_(multi|single)_iou");

    @Test
    void embeddingPromptsMasksAndIousMatchTheReference() {
        try (SegmentAnything sam = SegmentAnything.load(Fixtures.path("sam-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = sam.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "sam-tiny/golden/sam.safetensors");
            NDArray image = golden.get("image_0_255");
            NDArray preprocessed = sam.preprocess(image);
            Fixtures.assertClose("preprocessed", preprocessed, golden.get("preprocessed"), 1e-4);
            NDArray embedding = sam.encode(golden.get("preprocessed"));
            Fixtures.assertClose("image_embeddings", embedding, golden.get("image_embeddings"), 1e-4);
            Fixtures.assertClose("image_pe", sam.imagePositions(), golden.get("image_pe"), 1e-4);

            TreeSet<String> cases = new TreeSet<>();
            for (String name : golden.keySet()) {
                if (CASE.matcher(name).matches()) {
                    cases.add(name.substring(0, name.length() - "_iou".length()));
                }
            }
            assertThat(cases).as("golden cases").isNotEmpty();
            int inputHeight = (int) image.getShape().get(2);
            int inputWidth = (int) image.getShape().get(3);
            for (String c : cases) {
                Matcher matcher = CASE.matcher(c + "_iou");
                assertThat(matcher.matches()).isTrue();
                boolean points = matcher.group(1).equals("points");
                boolean multimask = matcher.group(2).equals("multi");
                NDList prompt = points
                        ? sam.promptEmbeddings(m, rows(golden.get("points")), labels(golden.get("point_labels")), null)
                        : sam.promptEmbeddings(m, null, null, golden.get("box").toType(DataType.FLOAT32, false).toFloatArray());
                Fixtures.assertClose(c + " sparse", prompt.get(0), golden.get(c + "_sparse"), 1e-4);
                Fixtures.assertClose(c + " dense", prompt.get(1), golden.get(c + "_dense"), 1e-4);
                NDList decoded = sam.decode(golden.get("image_embeddings"), golden.get(c + "_sparse"), golden.get(c + "_dense"), multimask);
                Fixtures.assertClose(c + " low_res_masks", decoded.get(0), golden.get(c + "_low_res_masks"), 1e-4);
                Fixtures.assertClose(c + " iou", decoded.get(1), golden.get(c + "_iou"), 1e-4);
                NDArray full = golden.get(c + "_masks_full");
                NDArray upscaled = sam.postprocess(golden.get(c + "_low_res_masks"), inputWidth, inputHeight,
                        (int) full.getShape().get(3), (int) full.getShape().get(2));
                Fixtures.assertClose(c + " masks_full", upscaled, full, 1e-4);
            }
        }
    }

    @Test
    void anImageEmbeddedOnceAnswersEachPromptAsTheReference() {
        try (SegmentAnything sam = SegmentAnything.load(Fixtures.path("sam-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = sam.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "sam-tiny/golden/sam.safetensors");
            // the golden input is an image already at the encoder's size, so embed() resizes nothing
            BufferedImage image = ImageTensors.toImage(golden.get("image_0_255").div(255f));
            try (SegmentAnything.Embedding embedded = sam.embed(m, image)) {
                Fixtures.assertClose("embedding", embedded.embedding(), golden.get("image_embeddings"), 1e-4);
                for (boolean multimask : new boolean[] {true, false}) {
                    String mode = multimask ? "multi" : "single";
                    float[][] points = rows(golden.get("points"));
                    try (SegmentAnything.Masks masks = sam.segment(embedded, new SegmentAnything.Prompt(points,
                            labels(golden.get("point_labels")), null, multimask))) {
                        Fixtures.assertClose("points " + mode, masks.logits(), golden.get("points_" + mode + "_masks_full").get(0), 1e-4);
                        Fixtures.assertClose("points " + mode + " iou", m.create(masks.iou()), golden.get("points_" + mode + "_iou").get(0), 1e-4);
                    }
                    float[] box = golden.get("box").toType(DataType.FLOAT32, false).toFloatArray();
                    try (SegmentAnything.Masks masks = sam.segment(embedded, SegmentAnything.Prompt.box(box[0], box[1], box[2], box[3], multimask))) {
                        Fixtures.assertClose("box " + mode, masks.logits(), golden.get("box_" + mode + "_masks_full").get(0), 1e-4);
                    }
                }
            }
        }
    }

    @Test
    void buildsTheParametersOfTheReleasedCheckpoints() {
        for (String name : List.of("sam-vit-b.json", "sam-vit-h.json")) {
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            SegmentAnything.build(recording, Manifests.config(manifest, SamConfig.class), null);
            Manifests.assertMatches(manifest, recording.requested());
        }
    }

    private static float[][] rows(NDArray points) {
        NDArray p = points.toType(DataType.FLOAT32, false).get(0);
        float[][] rows = new float[(int) p.getShape().get(0)][];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = p.get(i).toFloatArray();
        }
        return rows;
    }

    private static int[] labels(NDArray labels) {
        long[] values = labels.get(0).toLongArray();
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (int) values[i];
        }
        return out;
    }
}
