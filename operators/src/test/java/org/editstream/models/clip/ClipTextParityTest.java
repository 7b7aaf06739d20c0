package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Manifests;
import org.editstream.models.ModelFolder;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

class ClipTextParityTest {
    @Test
    void tokenizerMatchesTheReferenceIds() throws Exception {
        ClipTokenizer tokenizer = ClipTokenizer.load(Fixtures.path("sd-tiny/tokenizer"));
        JsonNode golden = new ObjectMapper().readTree(Fixtures.path("sd-tiny/golden/tokenizer.json").toFile());
        for (int i = 0; i < golden.path("strings").size(); i++) {
            String text = golden.path("strings").get(i).asText();
            long[] expected = new ObjectMapper().convertValue(golden.path("input_ids").get(i), long[].class);
            assertThat(tokenizer.encode(text)).as("ids of \"%s\"", text).containsExactly(expected);
        }
    }

    @Test
    void textEncoderMatchesTheReferenceHiddenStates() {
        Path folder = Fixtures.path("sd-tiny/text_encoder");
        try (NDManager manager = NDManager.newBaseManager()) {
            WeightSet weights = WeightSet.load(manager, ModelFolder.weights(folder), DataType.FLOAT32, UnaryOperator.identity());
            ClipTextEncoder encoder = new ClipTextEncoder(weights.root().child("text_model"),
                    ModelFolder.config(folder, ClipTextConfig.class));
            weights.requireAllUsed(List.of("text_model.embeddings.position_ids"));

            Map<String, NDArray> golden = Fixtures.golden(manager, "sd-tiny/golden/text_encoder.safetensors");
            NDArray hidden = encoder.encode(golden.get("input_ids"));
            Fixtures.assertClose("last_hidden_state", hidden, golden.get("last_hidden_state"), 1e-4);
        }
    }

    @Test
    void buildsTheParametersOfClipVitL14sTextEncoder() {
        JsonNode manifest = Manifests.read("clip-vit-l14-text-encoder.json");
        WeightSet recording = WeightSet.recording();
        new ClipTextEncoder(recording.root().child("text_model"), Manifests.config(manifest, ClipTextConfig.class));
        Manifests.assertMatches(manifest, recording.requested());
    }
}
