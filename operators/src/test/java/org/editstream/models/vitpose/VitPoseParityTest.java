package org.editstream.models.vitpose;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.Safetensors;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class VitPoseParityTest {
    private static final String GOLDEN = "vitpose-tiny/golden/vitpose.safetensors";

    @Test
    void cropsHeatmapsAndKeypointsMatchTheReference() throws Exception {
        int kernel = Integer.parseInt(Safetensors.metadata(Fixtures.path(GOLDEN)).get("kernel_size"));
        try (VitPose model = VitPose.load(Fixtures.path("vitpose-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            float[] flat = golden.get("boxes_xywh").toFloatArray();
            List<float[]> boxes = new ArrayList<>();
            for (int i = 0; i < flat.length / 4; i++) {
                boxes.add(new float[] {flat[4 * i], flat[4 * i + 1], flat[4 * i + 2], flat[4 * i + 3]});
            }
            BufferedImage image = ImageIO.read(Fixtures.path("vitpose-tiny/golden/image0.png").toFile());
            Fixtures.assertClose("pixel_values", model.pixelValues(m, image, boxes), golden.get("pixel_values"), 2e-2);

            NDArray heatmaps = model.heatmaps(golden.get("pixel_values"));
            Fixtures.assertClose("heatmaps", heatmaps, golden.get("heatmaps"), 1e-4);

            List<VitPoseProcessor.Pose> poses = model.poses(golden.get("heatmaps"), boxes, kernel);
            float[] keypoints = golden.get("keypoints").toFloatArray();
            float[] scores = golden.get("scores").toFloatArray();
            int k = model.config().keypoints();
            for (int i = 0; i < poses.size(); i++) {
                for (int j = 0; j < k; j++) {
                    assertThat(poses.get(i).keypoints()[j][0]).as("person %d keypoint %d x", i, j).isCloseTo(keypoints[(i * k + j) * 2], within(1e-2f));
                    assertThat(poses.get(i).keypoints()[j][1]).as("person %d keypoint %d y", i, j).isCloseTo(keypoints[(i * k + j) * 2 + 1], within(1e-2f));
                    assertThat(poses.get(i).scores()[j]).isCloseTo(scores[i * k + j], within(1e-4f));
                }
            }
        }
    }

    @Test
    void buildsTheParametersOfTheReleasedCheckpoints() {
        for (String name : List.of("vitpose-base-simple.json", "vitpose-base.json")) {
            if (!Files.exists(Fixtures.root().resolve("manifests").resolve(name))) {
                continue; // the classic decoder's manifest is optional in a fixture tree
            }
            JsonNode manifest = Manifests.read(name);
            WeightSet recording = WeightSet.recording();
            VitPose.build(recording, Manifests.config(manifest, VitPoseConfig.class), null);
            Manifests.assertMatches(manifest, recording.requested());
        }
        assertThat(Fixtures.root().resolve("manifests/vitpose-base-simple.json")).exists();
    }
}
