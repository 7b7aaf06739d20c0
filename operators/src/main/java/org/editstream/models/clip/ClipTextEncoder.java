package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.LayerNorm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * CLIP's text transformer (Hugging Face {@code CLIPTextModel} names under {@code text_model.}): token and
 * position embeddings, pre-norm layers with causal self-attention and an MLP, a final layer norm applied at
 * every position ({@code last_hidden_state}); the pooled feature is taken at the first end-of-text token.
 */
public final class ClipTextEncoder {
    private final ClipTextConfig config;
    private final NDArray tokenEmbedding;
    private final NDArray positionEmbedding;
    private final List<ClipEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalNorm;

    /** @param p the view holding {@code embeddings.}, {@code encoder.}, {@code final_layer_norm.} */
    public ClipTextEncoder(Parameters p, ClipTextConfig config) {
        this.config = config;
        long hidden = config.hiddenSize();
        Parameters embeddings = p.child("embeddings");
        this.tokenEmbedding = embeddings.child("token_embedding").get("weight", config.vocabSize(), hidden);
        this.positionEmbedding = embeddings.child("position_embedding").get("weight", config.maxPositionEmbeddings(), hidden);
        UnaryOperator<NDArray> act = Activation.named(config.hiddenAct());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new ClipEncoderLayer(p.child("encoder").child("layers").child(Integer.toString(i)), hidden,
                    config.intermediateSize(), config.numAttentionHeads(), config.layerNormEps(), act));
        }
        this.finalNorm = new LayerNorm(p.child("final_layer_norm"), hidden, config.layerNormEps());
    }

    public ClipTextConfig config() {
        return config;
    }

    /** Token ids [B, T] (int64) to {@code last_hidden_state} [B, T, hidden], on the ids' manager. */
    public NDArray encode(NDArray ids) {
        long t = ids.getShape().get(1);
        NDManager m = ids.getManager();
        NDArray positions = t == positionEmbedding.getShape().get(0) ? positionEmbedding : positionEmbedding.get("0:" + t);
        NDArray x = ids.getNDArrayInternal().embedding(ids, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow()
                .add(positions);
        if (positions != positionEmbedding) {
            positions.close(); // a view made on the weights' manager
        }
        NDArray causal = causalMask(m, (int) t).toType(x.getDataType(), false);
        for (ClipEncoderLayer layer : layers) {
            x = layer.forward(x, causal);
        }
        return finalNorm.forward(x);
    }

    /** Additive mask [T, T]: a position sees itself and those before it. */
    private static NDArray causalMask(NDManager m, int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            for (int j = i + 1; j < t; j++) {
                mask[i * t + j] = Float.NEGATIVE_INFINITY;
            }
        }
        return m.create(mask, new ai.djl.ndarray.types.Shape(t, t));
    }

    /** The features [B, hidden] at each sequence's first end-of-text token. */
    public NDArray pooled(NDArray lastHidden, NDArray ids) {
        NDArray first = ids.eq(config.eosTokenId()).toType(DataType.INT32, false).argMax(1);
        long batch = ids.getShape().get(0);
        NDArray rows = lastHidden.getManager().arange(0, (int) batch, 1, DataType.INT64);
        return lastHidden.get(new ai.djl.ndarray.index.NDIndex("{}, {}", rows, first.toType(DataType.INT64, false)));
    }
}
