package org.editstream.recipes;

import ai.djl.ndarray.NDManager;
import org.editstream.imaging.PoseSkeleton;
import org.editstream.models.Fixtures;
import org.editstream.models.vitpose.VitPose;
import org.editstream.models.vitpose.VitPoseProcessor;
import org.editstream.perception.ObjectGrounder;
import org.editstream.perception.PoseHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class PoseRecipeTest {
    private static final String IMAGE = "vitpose-tiny/golden/image0.png";

    /** Finds the persons it is given, and reports a best score when it finds none. */
    private record FixedGrounder(List<Rectangle> boxes, double bestScore) implements ObjectGrounder {
        @Override
        public Optional<Grounding> ground(BufferedImage image, String objectName) {
            return groundAll(image, objectName).found().stream().findFirst();
        }

        @Override
        public Detections groundAll(BufferedImage image, String objectName) {
            assertThat(objectName).isEqualTo(PoseRecipe.PERSON);
            return new Detections(boxes.stream().map(b -> new Grounding(b, null, 0.8)).toList(), bestScore);
        }

        @Override
        public String id() {
            return "fixed-boxes";
        }
    }

    private static Instruction direction(String direction) {
        return Instruction.newBuilder().setText("draw the human pose skeleton").setWriter("template").setTemplateVersion("t")
                .setIntent(Map.of("direction", direction)).build();
    }

    private static List<Rectangle> boxes(BufferedImage image) {
        return List.of(new Rectangle(4, 2, image.getWidth() / 2, image.getHeight() - 6),
                new Rectangle(image.getWidth() / 3, 6, image.getWidth() / 2, image.getHeight() / 2));
    }

    @Test
    void theHostPosesEveryBoxAsTheModelDoesAlsoWhenRequestsShareABatch() throws Exception {
        Path folder = Fixtures.path("vitpose-tiny");
        BufferedImage image = ImageIO.read(Fixtures.path(IMAGE).toFile());
        List<Rectangle> boxes = boxes(image);
        PoseHost host = PoseHost.forFolder(folder);
        CompletableFuture<List<PoseSkeleton.Body>> both = host.pose(image, boxes);
        CompletableFuture<List<PoseSkeleton.Body>> second = host.pose(image, boxes.subList(1, 2));
        CompletableFuture<List<PoseSkeleton.Body>> none = host.pose(image, List.of());
        try (VitPose model = VitPose.load(folder, ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            List<float[]> xywh = boxes.stream().map(b -> new float[] {b.x, b.y, b.width, b.height}).toList();
            List<VitPoseProcessor.Pose> expected = model.poses(model.heatmaps(model.pixelValues(m, image, xywh)), xywh,
                    PoseHost.REFINEMENT_KERNEL);
            assertSame(both.get(), expected);
            assertSame(second.get(), expected.subList(1, 2));
            assertThat(none.get()).isEmpty();
        }
    }

    private static void assertSame(List<PoseSkeleton.Body> bodies, List<VitPoseProcessor.Pose> poses) {
        assertThat(bodies).hasSameSizeAs(poses);
        for (int i = 0; i < bodies.size(); i++) {
            for (int k = 0; k < 17; k++) {
                assertThat(bodies.get(i).keypoints()[k][0]).isCloseTo(poses.get(i).keypoints()[k][0], within(1e-3f));
                assertThat(bodies.get(i).keypoints()[k][1]).isCloseTo(poses.get(i).keypoints()[k][1], within(1e-3f));
                assertThat(bodies.get(i).scores()[k]).isCloseTo(poses.get(i).scores()[k], within(1e-5f));
            }
        }
    }

    @Test
    void thePairIsTheGroundedPersonsSkeletonInEitherDirection() throws Exception {
        BufferedImage image = ImageIO.read(Fixtures.path(IMAGE).toFile());
        PoseHost host = PoseHost.forFolder(Fixtures.path("vitpose-tiny"));
        List<Rectangle> boxes = boxes(image);
        PoseRecipe recipe = new PoseRecipe(new FixedGrounder(boxes, 0.8), host);
        PoseSkeleton.Drawing expected = PoseSkeleton.draw(image.getWidth(), image.getHeight(), host.poseNow(image, boxes),
                PoseRecipe.KEYPOINT_THRESHOLD);
        assertThat(expected.limbs()).as("the tiny model's keypoints give some limbs").isPositive();

        EditPair toPose = recipe.make(image, direction("to_map"), new SplittableRandom(3));
        assertThat(toPose.input()).isSameAs(image);
        assertThat(pixels(toPose.edited())).isEqualTo(pixels(expected.image()));
        assertThat(toPose.parameters()).containsEntry("direction", "to_map").containsEntry("map", "pose")
                .containsEntry("persons", "2").containsEntry("limbs", Integer.toString(expected.limbs()))
                .containsEntry("keypoints", Integer.toString(expected.points()))
                .containsEntry("keypoint_threshold", "0.3000");
        assertThat(toPose.modelIds()).containsExactly("fixed-boxes", host.id());

        EditPair fromPose = recipe.make(image, direction("from_map"), new SplittableRandom(3));
        assertThat(fromPose.edited()).isSameAs(image);
        assertThat(pixels(fromPose.input())).isEqualTo(pixels(expected.image()));
    }

    @Test
    void noPersonIsRefusedWithTheDetectorsBestScore() throws Exception {
        BufferedImage image = ImageIO.read(Fixtures.path(IMAGE).toFile());
        PoseHost host = PoseHost.forFolder(Fixtures.path("vitpose-tiny"));
        assertThatThrownBy(() -> new PoseRecipe(new FixedGrounder(List.of(), 0.17), host).make(image, direction("to_map"),
                new SplittableRandom(1)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Reason.NO_PERSON))
                .hasMessageContaining("no person").hasMessageContaining("0.1700");
        assertThatThrownBy(() -> new PoseRecipe(new FixedGrounder(List.of(), Double.NaN), host).make(image, direction("to_map"),
                new SplittableRandom(1)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Reason.NO_PERSON))
                .hasMessageContaining("not given");
        assertThatThrownBy(() -> new PoseRecipe(new FixedGrounder(boxes(image), 0.8), host).make(image, direction("sideways"),
                new SplittableRandom(1)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Reason.RECIPE_FAILED))
                .hasMessageContaining("sideways");
    }

    static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }
}
