package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.Safetensors;
import org.editstream.models.WeightSet;
import org.editstream.models.nn.Linear;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ClipModelParityTest {
    @Test
    void preprocessingFeaturesAndLogitsMatchTheReference() throws Exception {
        String file = "clip-tiny/golden/clip.safetensors";
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(file));
        ObjectMapper json = new ObjectMapper();
        try (ClipModel clip = ClipModel.load(Fixtures.path("clip-tiny"), Fixtures.device(), DataType.FLOAT32);
             NDManager m = clip.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            // the golden's images: imageN.png for each row of its pixel values
            List<BufferedImage> images = new ArrayList<>();
            for (int i = 0; i < golden.get("pixel_values").getShape().get(0); i++) {
                images.add(ImageIO.read(Fixtures.path("clip-tiny/golden/image" + i + ".png").toFile()));
            }
            if (meta.containsKey("resize_then_crop")) {
                JsonNode geometry = json.readTree(meta.get("resize_then_crop"));
                assertThat(geometry).hasSize(images.size());
                for (int i = 0; i < images.size(); i++) {
                    int[] g = clip.processor().geometry(images.get(i).getWidth(), images.get(i).getHeight());
                    assertThat(g).containsExactly(json.convertValue(geometry.get(i), int[].class));
                }
            }
            Fixtures.assertClose("pixel_values", clip.processor().pixelValues(m, images), golden.get("pixel_values"), 2e-2);

            NDArray image = clip.imageFeatures(golden.get("pixel_values"));
            Fixtures.assertClose("image_features", image, golden.get("image_features"), 1e-4);
            List<String> captions = new ArrayList<>();
            json.readTree(meta.get("captions")).forEach(c -> captions.add(c.asText()));
            NDArray ids = m.create(captions.stream().map(c -> clip.tokenizer().encode(c)).toArray(long[][]::new));
            assertThat(ids.toLongArray()).containsExactly(golden.get("input_ids").toLongArray());
            NDArray text = clip.textFeatures(ids);
            Fixtures.assertClose("text_features", text, golden.get("text_features"), 1e-4);
            NDArray imageEmbeds = ClipModel.normalize(image);
            NDArray textEmbeds = ClipModel.normalize(text);
            Fixtures.assertClose("image_embeds", imageEmbeds, golden.get("image_embeds"), 1e-4);
            Fixtures.assertClose("text_embeds", textEmbeds, golden.get("text_embeds"), 1e-4);
            Fixtures.assertClose("logits_per_image", clip.logitsPerImage(imageEmbeds, textEmbeds),
                    golden.get("logits_per_image"), 1e-4);
        }
    }

    @Test
    void buildsTheParametersOfClipVitL14() {
        JsonNode manifest = Manifests.read("clip-vit-l14.json");
        ClipConfig config = Manifests.config(manifest, ClipConfig.class);
        WeightSet recording = WeightSet.recording();
        new ClipTextEncoder(recording.root().child("text_model"), config.textConfig());
        new ClipVisionEncoder(recording.root().child("vision_model"), config.visionConfig());
        new Linear(recording.root().child("text_projection"), config.textConfig().hiddenSize(), config.projectionDim(), false);
        new Linear(recording.root().child("visual_projection"), config.visionConfig().hiddenSize(), config.projectionDim(), false);
        recording.root().get("logit_scale");
        Manifests.assertMatches(manifest, recording.requested());
    }
}
