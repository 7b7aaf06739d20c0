package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A BERT encoder without pooling (the reference's names {@code embeddings.word_embeddings}, ...,
 * {@code encoder.layer.N}): word, position and token-type embeddings with a layer norm, then post-norm layers of
 * self-attention and a GELU MLP. Grounding DINO hands it its own position ids and a [B, T, T] attention mask, so each
 * phrase is encoded on its own.
 */
public final class Bert {
    private final BertConfig config;
    private final NDArray words;
    private final NDArray positions;
    private final NDArray tokenTypes;
    private final LayerNorm embeddingNorm;
    private final List<Layer> layers = new ArrayList<>();

    public Bert(Parameters p, BertConfig c) {
        this.config = c;
        Parameters e = p.child("embeddings");
        long hidden = c.hiddenSize();
        this.words = e.get("word_embeddings.weight", c.vocabSize(), hidden);
        this.positions = e.get("position_embeddings.weight", c.maxPositionEmbeddings(), hidden);
        this.tokenTypes = e.get("token_type_embeddings.weight", c.typeVocabSize(), hidden);
        this.embeddingNorm = new LayerNorm(e.child("LayerNorm"), hidden, c.layerNormEps());
        UnaryOperator<NDArray> act = Activation.named(c.hiddenAct());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new Layer(p.child("encoder").child("layer").child(Integer.toString(i)), c, act));
        }
    }

    public BertConfig config() {
        return config;
    }

    /**
     * @param ids       [B, T] token ids (int64)
     * @param positions [B, T] position ids (int64)
     * @param mask      [B, 1, T, T] additive attention mask: 0 where token i may attend to token j, the float minimum
     *                  where not (the reference's extended attention mask)
     * @return the last hidden states [B, T, hidden]
     */
    public NDArray forward(NDArray ids, NDArray positionIds, NDArray mask) {
        // lookups of weights land in the weights' manager: each is moved to the request's before it is used
        NDManager m = ids.getManager();
        NDArray x = inScope(words.get(ids), m);
        x = x.add(inScope(positions.get(positionIds), m)).add(inScope(tokenTypes.get("0"), m));
        x = embeddingNorm.forward(x);
        for (Layer layer : layers) {
            x = Scoped.apply(in -> layer.forward(in[0], in[1]), x, mask);
        }
        return x;
    }

    /** {@code a}, attached to {@code m}. */
    static NDArray inScope(NDArray a, NDManager m) {
        a.attach(m);
        return a;
    }

    private static final class Layer {
        private final int heads;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear attentionOut;
        private final LayerNorm attentionNorm;
        private final Linear intermediate;
        private final Linear output;
        private final LayerNorm outputNorm;
        private final UnaryOperator<NDArray> act;

        Layer(Parameters p, BertConfig c, UnaryOperator<NDArray> act) {
            long hidden = c.hiddenSize();
            this.heads = c.numAttentionHeads();
            this.act = act;
            Parameters self = p.child("attention").child("self");
            this.query = new Linear(self.child("query"), hidden, hidden, true);
            this.key = new Linear(self.child("key"), hidden, hidden, true);
            this.value = new Linear(self.child("value"), hidden, hidden, true);
            this.attentionOut = new Linear(p.child("attention").child("output").child("dense"), hidden, hidden, true);
            this.attentionNorm = new LayerNorm(p.child("attention").child("output").child("LayerNorm"), hidden, c.layerNormEps());
            this.intermediate = new Linear(p.child("intermediate").child("dense"), hidden, c.intermediateSize(), true);
            this.output = new Linear(p.child("output").child("dense"), c.intermediateSize(), hidden, true);
            this.outputNorm = new LayerNorm(p.child("output").child("LayerNorm"), hidden, c.layerNormEps());
        }

        NDArray forward(NDArray x, NDArray mask) {
            NDArray attended = Attention.attend(query.forward(x), key.forward(x), value.forward(x), heads, mask, null);
            NDArray h = attentionNorm.forward(attentionOut.forward(attended).add(x));
            return outputNorm.forward(output.forward(intermediate.forward(h, act)).add(h));
        }
    }
}
