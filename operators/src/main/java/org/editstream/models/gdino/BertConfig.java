package org.editstream.models.gdino;

/** The sizes of a BERT encoder (a Hugging Face {@code BertConfig}, Grounding DINO's {@code text_config}), in snake_case. */
public record BertConfig(
        Integer vocabSize,
        Integer hiddenSize,
        Integer numHiddenLayers,
        Integer numAttentionHeads,
        Integer intermediateSize,
        Integer maxPositionEmbeddings,
        Integer typeVocabSize,
        Double layerNormEps,
        String hiddenAct) {

    public BertConfig {
        vocabSize = vocabSize == null ? 30522 : vocabSize;
        hiddenSize = hiddenSize == null ? 768 : hiddenSize;
        numHiddenLayers = numHiddenLayers == null ? 12 : numHiddenLayers;
        numAttentionHeads = numAttentionHeads == null ? 12 : numAttentionHeads;
        intermediateSize = intermediateSize == null ? 3072 : intermediateSize;
        maxPositionEmbeddings = maxPositionEmbeddings == null ? 512 : maxPositionEmbeddings;
        typeVocabSize = typeVocabSize == null ? 2 : typeVocabSize;
        layerNormEps = layerNormEps == null ? 1e-12 : layerNormEps;
        hiddenAct = hiddenAct == null ? "gelu" : hiddenAct;
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " does not split into " + numAttentionHeads + " heads");
        }
    }
}
