package org.editstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.depth.DepthAnything;
import org.editstream.models.dino.DinoFolders;
import org.editstream.models.dino.DinoModel;
import org.editstream.models.sam.SegmentAnything;
import org.editstream.models.segformer.Segformer;
import org.editstream.models.vitpose.VitPose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A long-running job calls each perception model millions of times: a request must leave no array in the model's own
 * manager (an array made by an operation whose left operand is a weight lands there, and lives as long as the model).
 */
class PerceptionModelsLeaveNothingBehindTest {
    private static final int REQUESTS = 3;

    private static BufferedImage image() {
        BufferedImage image = new BufferedImage(72, 56, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(30, 80, 170), 72, 56, new Color(210, 160, 50)));
        g.fillRect(0, 0, 72, 56);
        g.setColor(Color.GREEN);
        g.fillOval(18, 12, 30, 26);
        g.dispose();
        return image;
    }

    /** Runs the request once to warm up, then REQUESTS times, and checks the model's manager holds what it held. */
    private static void assertLeavesNothing(String model, NDManager manager, Runnable request) {
        request.run();
        int arrays = manager.getManagedArrays().size();
        for (int i = 0; i < REQUESTS; i++) {
            request.run();
        }
        assertThat(manager.getManagedArrays()).as("arrays in %s's manager after %d requests", model, REQUESTS).hasSize(arrays);
    }

    @Test
    void segformerAndVitPose() {
        BufferedImage image = image();
        try (Segformer segformer = Segformer.load(Fixtures.path("segformer-tiny"), Device.cpu(), DataType.FLOAT32)) {
            assertLeavesNothing("segformer", segformer.manager(), () -> {
                try (NDManager m = segformer.manager().newSubManager()) {
                    segformer.segmentation(segformer.logits(segformer.pixelValues(m, List.of(image))).get(0), 72, 56);
                }
            });
        }
        try (VitPose pose = VitPose.load(Fixtures.path("vitpose-tiny"), Device.cpu(), DataType.FLOAT32)) {
            List<float[]> boxes = List.of(new float[] {10, 5, 40, 45});
            assertLeavesNothing("vitpose", pose.manager(), () -> {
                try (NDManager m = pose.manager().newSubManager()) {
                    pose.poses(pose.heatmaps(pose.pixelValues(m, image, boxes)), boxes, 11);
                }
            });
        }
    }

    @Test
    void groundingDino() {
        BufferedImage image = image();
        Path folder = Fixtures.path("grounding-dino-tiny");
        org.editstream.models.gdino.BertTokenizer tokenizer = org.editstream.models.gdino.BertTokenizer.load(folder);
        org.editstream.models.gdino.GroundingDinoProcessor processor = org.editstream.models.gdino.GroundingDinoProcessor.load(folder);
        try (org.editstream.models.gdino.GroundingDino model = org.editstream.models.gdino.GroundingDino.load(folder, Device.cpu(),
                DataType.FLOAT32)) {
            assertLeavesNothing("grounding dino", model.manager(), () -> {
                try (NDManager m = model.manager().newSubManager()) {
                    var pixels = processor.pixels(m, List.of(image, image));
                    var text = org.editstream.models.gdino.GroundingText.of(tokenizer, List.of("a cat.", "a green disc. a dog."));
                    var d = model.detect(model.encode(pixels.values(), pixels.mask(), text));
                    org.editstream.models.gdino.GroundingDino.boxes(d.logits().get(0), d.boxes().get(0), text.ids()[0], 0f, 0f,
                            56, 72, tokenizer);
                }
            });
        }
    }

    @Test
    void samDepthAnythingAndDino(@TempDir Path dino) throws Exception {
        BufferedImage image = image();
        try (SegmentAnything sam = SegmentAnything.load(Fixtures.path("sam-tiny"), Device.cpu(), DataType.FLOAT32)) {
            assertLeavesNothing("sam", sam.manager(), () -> {
                try (NDManager m = sam.manager().newSubManager()) {
                    sam.segment(sam.embed(m, image), SegmentAnything.Prompt.box(10, 8, 50, 40, true));
                }
            });
        }
        try (DepthAnything depth = DepthAnything.load(Fixtures.path("depth-tiny"), Device.cpu(), DataType.FLOAT32)) {
            assertLeavesNothing("depth anything", depth.manager(), () -> {
                try (NDManager m = depth.manager().newSubManager()) {
                    depth.depthOf(m, List.of(image));
                }
            });
        }
        try (DinoModel model = DinoModel.load(DinoFolders.fromDepthFixture(dino), Device.cpu(), DataType.FLOAT32)) {
            assertLeavesNothing("dino", model.manager(), () -> model.similarity(List.of(image), List.of(image)));
        }
    }
}
