package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class GroundingTextTest {
    private static final String FOLDER = "grounding-dino-tiny";
    private static final String GOLDEN = FOLDER + "/golden/gdino.safetensors";

    @Test
    void wordPieceIdsEqualTheReferenceTokenizers() throws Exception {
        BertTokenizer tokenizer = BertTokenizer.load(Fixtures.path(FOLDER));
        JsonNode golden = new ObjectMapper().readTree(Fixtures.path(FOLDER + "/golden/tokenizer.json").toFile());
        JsonNode strings = golden.get("strings");
        assertThat(strings.size()).isPositive();
        for (int i = 0; i < strings.size(); i++) {
            long[] expected = new ObjectMapper().convertValue(golden.get("input_ids").get(i), long[].class);
            assertThat(tokenizer.encode(strings.get(i).asText())).as("ids of %s", strings.get(i)).containsExactly(expected);
        }
    }

    @Test
    void aBatchsIdsMasksAndPhrasePositionsEqualTheReferenceProcessorsAndModels() throws Exception {
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(GOLDEN));
        List<String> texts = Arrays.asList(new ObjectMapper().readValue(meta.get("texts"), String[].class));
        GroundingText text = GroundingText.of(BertTokenizer.load(Fixtures.path(FOLDER)), texts);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, GOLDEN);
            assertThat(text.ids()).isDeepEqualTo(rows(golden.get("input_ids")));
            assertThat(text.attentionMask()).isDeepEqualTo(rows(golden.get("attention_mask")));
            assertThat(text.positionIds()).isDeepEqualTo(rows(golden.get("text_position_ids")));
            NDArray masks = golden.get("text_self_attention_masks");
            for (int b = 0; b < texts.size(); b++) {
                assertThat(text.phraseMask()[b]).as("phrase mask of %s", texts.get(b)).isDeepEqualTo(rows(masks.get(b)));
            }
            assertThat(golden.get("token_type_ids").toLongArray()).containsOnly(0L); // one segment: zeros
        }
    }

    @Test
    void phrasesJoinAsTheReferenceJoinsLabelsAndLongTextsAreCut() {
        assertThat(GroundingText.caption(List.of("a cat", " a remote control "))).isEqualTo("a cat. a remote control.");
        BertTokenizer tokenizer = BertTokenizer.load(Fixtures.path(FOLDER));
        GroundingText text = GroundingText.of(tokenizer, List.of("a cat. a cat. a cat. a cat.", "a cat."));
        GroundingText cut = text.truncated(6);
        assertThat(cut.ids()[0]).containsExactly(Arrays.copyOf(text.ids()[0], 6));
        assertThat(cut.positionIds()[0]).containsExactly(0, 0, 1, 2, 0, 1);
        assertThat(cut.phraseMask()[1][2]).containsExactly(0, 1, 1, 1, 0, 0);
        assertThat(cut.attentionMask()[1]).containsExactly(1, 1, 1, 1, 1, 0);
        assertThat(text.truncated(100)).isSameAs(text);
    }

    @Test
    void phraseSpansAreTheTokenRunsBetweenDelimitersWithoutPadding() {
        BertTokenizer tokenizer = BertTokenizer.load(Fixtures.path(FOLDER));
        GroundingText text = GroundingText.of(tokenizer, List.of("a cat. a remote control.", "a cat?"));
        int cat = tokenizer.encode("a cat").length - 2;
        int remote = tokenizer.encode("a remote control").length - 2;
        List<int[]> first = GroundingText.phraseSpans(tokenizer, text.ids()[0]);
        assertThat(first).hasSize(2);
        assertThat(first.get(0)).containsExactly(1, 1 + cat);
        assertThat(first.get(1)).containsExactly(2 + cat, 2 + cat + remote);
        List<int[]> second = GroundingText.phraseSpans(tokenizer, text.ids()[1]);
        assertThat(second).hasSize(1);
        assertThat(second.get(0)).containsExactly(1, 1 + cat);
        assertThat(GroundingText.phraseSpans(tokenizer, tokenizer.encode("a cat"))).as("no full stop: [SEP] ends it")
                .singleElement().satisfies(span -> assertThat(span).containsExactly(1, 1 + cat));
    }

    private static long[][] rows(NDArray matrix) {
        long columns = matrix.getShape().get(1);
        long[] flat = matrix.toLongArray();
        List<long[]> out = new ArrayList<>();
        for (int r = 0; r < flat.length / columns; r++) {
            out.add(Arrays.copyOfRange(flat, (int) (r * columns), (int) ((r + 1) * columns)));
        }
        return out.toArray(long[][]::new);
    }
}
