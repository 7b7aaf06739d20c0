package org.editstream.perception;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.editstream.models.clip.ClipModel;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ClipScoresTest {
    @Test
    void similaritiesFollowTheReferenceEmbeddings() throws Exception {
        String file = "clip-tiny/golden/clip.safetensors";
        List<String> captions = List.of(new ObjectMapper().readValue(
                Safetensors.metadata(Fixtures.path(file)).get("captions"), String[].class));
        try (ClipModel clip = ClipModel.load(Fixtures.path("clip-tiny"), Device.cpu(), DataType.FLOAT32);
             NDManager m = clip.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            BufferedImage first = ImageIO.read(Fixtures.path("clip-tiny/golden/image0.png").toFile());
            BufferedImage second = ImageIO.read(Fixtures.path("clip-tiny/golden/image1.png").toFile());
            NDArray images = golden.get("image_embeds");
            NDArray texts = golden.get("text_embeds");

            ClipScores.Pair pair = new ClipScores(clip).score(first, second, captions.get(0), captions.get(1));

            // expected values from the reference's own embeddings (our preprocessing differs by < 2e-2 per pixel)
            assertThat(pair.image()).isCloseTo(ClipScores.cosine(images.get(0), images.get(1)), within(2e-2));
            assertThat(pair.output()).isCloseTo(ClipScores.cosine(images.get(1), texts.get(1)), within(2e-2));
            assertThat(pair.direction()).isCloseTo(ClipScores.cosine(images.get(1).sub(images.get(0)),
                    texts.get(1).sub(texts.get(0))), within(2e-2));

            ClipScores.Pair same = new ClipScores(clip).score(first, first, null, null);
            assertThat(same.image()).isCloseTo(1.0, within(1e-5));
            assertThat(same.direction()).isNaN();

            // one batched pass gives each pair what it gets alone, with and without captions
            List<ClipScores.Pair> batch = new ClipScores(clip).scoreAll(List.of(
                    new ClipScores.Item(first, second, captions.get(0), captions.get(1)),
                    new ClipScores.Item(first, first, null, null),
                    new ClipScores.Item(second, first, captions.get(1), captions.get(2))));
            ClipScores.Pair third = new ClipScores(clip).score(second, first, captions.get(1), captions.get(2));
            assertThat(batch.get(0).image()).isCloseTo(pair.image(), within(1e-5));
            assertThat(batch.get(0).direction()).isCloseTo(pair.direction(), within(1e-5));
            assertThat(batch.get(1).image()).isCloseTo(1.0, within(1e-5));
            assertThat(batch.get(1).output()).isNaN();
            assertThat(batch.get(2).output()).isCloseTo(third.output(), within(1e-5));
            assertThat(batch.get(2).direction()).isCloseTo(third.direction(), within(1e-5));

            // best by output similarity for the last caption: the image whose logit for it is the largest
            NDArray logits = golden.get("logits_per_image"); // [images, captions]
            int last = captions.size() - 1;
            int expected = (int) logits.get(":, " + last).argMax().getLong();
            List<BufferedImage> all = new ArrayList<>();
            for (int i = 0; i < logits.getShape().get(0); i++) {
                all.add(ImageIO.read(Fixtures.path("clip-tiny/golden/image" + i + ".png").toFile()));
            }
            assertThat(new ClipScores(clip).bestByOutput(all, captions.get(last))).isEqualTo(expected);
        }
    }
}
