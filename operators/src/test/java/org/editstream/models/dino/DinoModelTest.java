package org.editstream.models.dino;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;
import org.editstream.models.ImageTensors;
import org.editstream.models.ModelFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class DinoModelTest {
    @Test
    void theClassTokenOfAnOriginalCheckpointIsTheReferenceBackbonesLast(@TempDir Path dir) throws Exception {
        Path folder = DinoFolders.fromDepthFixture(dir.resolve("dino"));
        Dinov2Config config = ModelFolder.config(folder, Dinov2Config.class);
        try (DinoModel dino = DinoModel.load(folder, Device.cpu(), DataType.FLOAT32);
             NDManager m = dino.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "depth-tiny/golden/depth.safetensors");
            String last = "backbone_layer" + (config.depth() - 1) + "_class_token";
            assertThat(golden).as("the golden records the last block").containsKey(last);
            Fixtures.assertClose("class token", dino.classTokens(golden.get("pixel_values")), golden.get(last), 1e-4);
        }
    }

    @Test
    void similarityIsTheCosineOfTheClassTokens(@TempDir Path dir) throws Exception {
        try (DinoModel dino = DinoModel.load(DinoFolders.fromDepthFixture(dir.resolve("dino")), Device.cpu(), DataType.FLOAT32);
             NDManager m = dino.manager().newSubManager()) {
            BufferedImage a = gradient(300, 260, false);
            BufferedImage b = gradient(240, 320, true);
            double[] cosines = dino.similarity(List.of(a, a), List.of(a, b));
            assertThat(cosines[0]).isCloseTo(1.0, within(1e-5));
            NDArray tokens = dino.classTokens(dino.pixelValues(m, List.of(a, b)));
            double dot = 0;
            double na = 0;
            double nb = 0;
            float[] ta = tokens.get(0).toFloatArray();
            float[] tb = tokens.get(1).toFloatArray();
            for (int i = 0; i < ta.length; i++) {
                dot += ta[i] * tb[i];
                na += ta[i] * ta[i];
                nb += tb[i] * tb[i];
            }
            assertThat(cosines[1]).isCloseTo(dot / Math.sqrt(na * nb), within(1e-6));
            assertThat(dino.pixelValues(m, List.of(a)).getShape().getShape()).containsExactly(1, 3, DinoModel.CROP, DinoModel.CROP);
        }
    }

    private static BufferedImage gradient(int w, int h, boolean vertical) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ramp = m.arange(0f, vertical ? h : w).div(vertical ? h : w);
            NDArray plane = vertical ? ramp.reshape(1, 1, h, 1).broadcast(1, 3, h, w) : ramp.reshape(1, 1, 1, w).broadcast(1, 3, h, w);
            NDArray colour = m.create(new float[] {1f, 0.5f, 0.2f}).reshape(1, 3, 1, 1);
            return ImageTensors.toImage(plane.mul(colour));
        }
    }
}
