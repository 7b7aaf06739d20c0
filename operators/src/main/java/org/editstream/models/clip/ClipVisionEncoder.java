package org.editstream.models.clip;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.LayerNorm;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * CLIP's vision transformer (Hugging Face names under {@code vision_model.}): patches by a strided convolution
 * without bias, a class token, learned positions, a layer norm before the layers (named {@code pre_layrnorm}
 * in the reference), the layers, and a layer norm of the class token's output (the pooled feature).
 */
public final class ClipVisionEncoder {
    private final ClipVisionConfig config;
    private final Conv2d patchEmbedding;
    private final NDArray classEmbedding;
    private final NDArray positionEmbedding;
    private final LayerNorm preNorm;
    private final List<ClipEncoderLayer> layers = new ArrayList<>();
    private final LayerNorm postNorm;

    public ClipVisionEncoder(Parameters p, ClipVisionConfig c) {
        this.config = c;
        long hidden = c.hiddenSize();
        Parameters e = p.child("embeddings");
        this.patchEmbedding = new Conv2d(e.child("patch_embedding"), c.numChannels(), hidden, c.patchSize(), c.patchSize(), 0, false);
        this.classEmbedding = e.get("class_embedding", hidden);
        this.positionEmbedding = e.child("position_embedding").get("weight", c.patches() + 1L, hidden);
        this.preNorm = new LayerNorm(p.child("pre_layrnorm"), hidden, c.layerNormEps());
        UnaryOperator<NDArray> act = Activation.named(c.hiddenAct());
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            layers.add(new ClipEncoderLayer(p.child("encoder").child("layers").child(Integer.toString(i)), hidden,
                    c.intermediateSize(), c.numAttentionHeads(), c.layerNormEps(), act));
        }
        this.postNorm = new LayerNorm(p.child("post_layernorm"), hidden, c.layerNormEps());
    }

    public ClipVisionConfig config() {
        return config;
    }

    /** Pixel values [B, 3, size, size] (preprocessed) to the pooled features [B, hidden]. */
    public NDArray pooled(NDArray pixels) {
        long batch = pixels.getShape().get(0);
        long hidden = config.hiddenSize();
        NDArray patches = patchEmbedding.forward(pixels).reshape(batch, hidden, -1).transpose(0, 2, 1);
        NDArray cls = patches.zerosLike().get(":, 0:1, :").add(classEmbedding);
        NDArray x = preNorm.forward(cls.concat(patches, 1).add(positionEmbedding));
        for (ClipEncoderLayer layer : layers) {
            x = layer.forward(x, null);
        }
        return postNorm.forward(x.get(":, 0, :"));
    }
}
