package org.editstream.perception;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.Images;
import org.editstream.models.Fixtures;
import org.editstream.models.ImageTensors;
import org.editstream.models.sam.SegmentAnything;
import org.junit.jupiter.api.Test;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

class SamGrounderTest {
    @Test
    void theGroundersBoxIsSegmentedBySamWithItsBestMask() throws Exception {
        SamHost host = SamHost.forFolder(Fixtures.path("sam-tiny"));
        try (SegmentAnything sam = SegmentAnything.load(Fixtures.path("sam-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = sam.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "sam-tiny/golden/sam.safetensors");
            BufferedImage image = ImageTensors.toImage(golden.get("image_0_255").div(255f));
            float[] b = golden.get("box").toType(DataType.FLOAT32, false).toFloatArray();
            Rectangle box = new Rectangle(Math.round(b[0]), Math.round(b[1]), Math.round(b[2] - b[0]), Math.round(b[3] - b[1]));
            ObjectGrounder boxes = new ObjectGrounder() {
                @Override
                public Optional<Grounding> ground(BufferedImage img, String objectName) {
                    return objectName.equals("dog") ? Optional.of(new Grounding(box, null, 0.7)) : Optional.empty();
                }

                @Override
                public String id() {
                    return "boxes";
                }
            };
            SamGrounder grounder = new SamGrounder(boxes, host);
            assertThat(grounder.ground(image, "cat")).isEmpty();
            ObjectGrounder.Grounding found = grounder.ground(image, "dog").orElseThrow();
            assertThat(found.box()).isEqualTo(box);
            assertThat(found.score()).isEqualTo(0.7);
            assertThat(grounder.id()).isEqualTo("boxes + " + host.id());

            // the same as asking the model directly: the multimask answer with the highest predicted IoU, above 0
            SegmentAnything.Prompt prompt = SegmentAnything.Prompt.box(box.x, box.y, box.x + box.width, box.y + box.height, true);
            try (SegmentAnything.Embedding embedding = sam.embed(m, image); SegmentAnything.Masks masks = sam.segment(embedding, prompt)) {
                int best = 0;
                for (int k = 1; k < masks.iou().length; k++) {
                    best = masks.iou()[k] > masks.iou()[best] ? k : best;
                }
                byte[] expected = Images.bytes(org.editstream.imaging.Masks.ofLogits(masks.logits().get(best).toFloatArray(),
                        image.getWidth(), image.getHeight()));
                assertThat(Images.bytes(found.segmentation())).isEqualTo(expected);
            }

            // requests batched together get what each gets alone
            SegmentAnything.Prompt point = new SegmentAnything.Prompt(new float[][] {{20, 30}}, new int[] {1}, null, false);
            CompletableFuture<List<SamHost.Mask>> first = host.segment(image, List.of(prompt, point));
            CompletableFuture<List<SamHost.Mask>> second = host.segment(Images.copy(image), List.of(point));
            assertThat(first.get()).hasSize(2);
            assertThat(Images.bytes(first.get().get(0).mask())).isEqualTo(Images.bytes(found.segmentation()));
            assertThat(Images.bytes(second.get().get(0).mask())).isEqualTo(Images.bytes(first.get().get(1).mask()));
            assertThat(second.get().get(0).iou()).isEqualTo(first.get().get(1).iou(), org.assertj.core.api.Assertions.within(1e-5));
        }
    }

    @Test
    void everyInstanceOfEveryNameIsSegmentedInOneSamRequestAndTheBestScoreOfANameNotFoundSurvives() throws Exception {
        SamHost host = SamHost.forFolder(Fixtures.path("sam-tiny"));
        BufferedImage image = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Map<String, ObjectGrounder.Detections> answers = Map.of(
                "dog", new ObjectGrounder.Detections(List.of(new ObjectGrounder.Grounding(new Rectangle(2, 3, 20, 15), null, 0.8),
                        new ObjectGrounder.Grounding(new Rectangle(30, 20, 25, 20), null, 0.6)), 0.8),
                "cat", new ObjectGrounder.Detections(List.of(), 0.21));
        ObjectGrounder boxes = new ObjectGrounder() {
            @Override
            public Optional<Grounding> ground(BufferedImage img, String objectName) {
                return groundAll(img, objectName).found().stream().findFirst();
            }

            @Override
            public Detections groundAll(BufferedImage img, String objectName) {
                return answers.get(objectName);
            }

            @Override
            public String id() {
                return "boxes";
            }
        };
        SamGrounder grounder = new SamGrounder(boxes, host);
        long before = host.stats().requests();
        List<ObjectGrounder.Detections> each = grounder.groundEach(image, List.of("cat", "dog"));
        assertThat(host.stats().requests() - before).as("SAM requests for the image").isEqualTo(1);
        assertThat(each.get(0).found()).isEmpty();
        assertThat(each.get(0).bestScore()).isEqualTo(0.21);
        assertThat(each.get(1).found()).extracting(ObjectGrounder.Grounding::box)
                .containsExactly(new Rectangle(2, 3, 20, 15), new Rectangle(30, 20, 25, 20));
        assertThat(each.get(1).found()).extracting(ObjectGrounder.Grounding::score).containsExactly(0.8, 0.6);
        List<SamHost.Mask> direct = host.segmentNow(image, List.of(
                SegmentAnything.Prompt.box(2, 3, 22, 18, true), SegmentAnything.Prompt.box(30, 20, 55, 40, true)));
        for (int k = 0; k < 2; k++) {
            assertThat(Images.bytes(each.get(1).found().get(k).segmentation())).as("mask of box %d", k)
                    .isEqualTo(Images.bytes(direct.get(k).mask()));
        }
        assertThat(grounder.groundAll(image, "cat").bestScore()).as("not found: the grounder's best score").isEqualTo(0.21);
        long nothing = host.stats().requests();
        assertThat(grounder.ground(image, "cat")).isEmpty();
        assertThat(host.stats().requests()).as("nothing to segment, no SAM request").isEqualTo(nothing);
    }
}
