package org.editstream.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.ConvTranspose2d;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;
import org.editstream.models.nn.Mlp;

import java.util.ArrayList;
import java.util.List;

/**
 * SAM's mask decoder (names under {@code mask_decoder.}): output tokens (an IoU token and one per mask) joined to the
 * prompt's sparse embeddings, a two-way transformer between those tokens and the image embedding (plus the dense
 * prompt embedding and the grid's positions), the image side upscaled 4x by two transposed convolutions, each mask the
 * product of its token's hypernetwork MLP with the upscaled embedding, and the IoU head's predicted mask quality.
 */
final class SamMaskDecoder {
    /** The transformer's and the upscaling's layer norms: torch's default. */
    private static final double EPS = 1e-5;
    /** The upscaling's LayerNorm2d. */
    private static final double CHANNEL_NORM_EPS = 1e-6;

    private final SamConfig config;
    private final NDArray outputTokens;
    private final List<TwoWayBlock> layers = new ArrayList<>();
    private final DecoderAttention finalAttention;
    private final LayerNorm finalNorm;
    private final ConvTranspose2d upscale0;
    private final LayerNorm upscale1;
    private final ConvTranspose2d upscale3;
    private final List<Mlp> hypernetworks = new ArrayList<>();
    private final Mlp iouHead;
    private final int maskTokens;

    SamMaskDecoder(Parameters p, SamConfig c) {
        this.config = c;
        long dim = c.promptEmbedDim();
        this.maskTokens = c.numMultimaskOutputs() + 1;
        NDArray iouToken = p.child("iou_token").get("weight", 1, dim);
        NDArray masks = p.child("mask_tokens").get("weight", maskTokens, dim);
        this.outputTokens = iouToken == null ? null : iouToken.concat(masks, 0).expandDims(0);
        Parameters t = p.child("transformer");
        for (int i = 0; i < c.decoderTransformerDepth(); i++) {
            layers.add(new TwoWayBlock(t.child("layers").child(Integer.toString(i)), c, i == 0));
        }
        this.finalAttention = new DecoderAttention(t.child("final_attn_token_to_image"), dim, c.decoderNumHeads(), 2);
        this.finalNorm = new LayerNorm(t.child("norm_final_attn"), dim, EPS);
        Parameters up = p.child("output_upscaling");
        this.upscale0 = new ConvTranspose2d(up.child("0"), dim, dim / 4, 2, 2, 0, true);
        this.upscale1 = new LayerNorm(up.child("1"), dim / 4, CHANNEL_NORM_EPS); // a LayerNorm2d, applied channels-last
        this.upscale3 = new ConvTranspose2d(up.child("3"), dim / 4, dim / 8, 2, 2, 0, true);
        for (int i = 0; i < maskTokens; i++) {
            hypernetworks.add(new Mlp(p.child("output_hypernetworks_mlps").child(Integer.toString(i)), dim, dim, dim / 8, 3));
        }
        this.iouHead = new Mlp(p.child("iou_prediction_head"), dim, c.iouHeadHiddenDim(), maskTokens, c.iouHeadDepth());
    }

    /**
     * @param embedding [1, C, side, side] image embedding
     * @param positions [1, side*side, C] the grid's positional encoding, as tokens
     * @param sparse    [B, tokens, C] prompt embeddings
     * @param dense     [B, C, side, side] dense prompt embeddings
     * @return low-resolution mask logits [B, masks, 4*side, 4*side] and predicted IoUs [B, masks]: the three
     *         multimask outputs, or the single one
     */
    NDList forward(NDArray embedding, NDArray positions, NDArray sparse, NDArray dense, boolean multimask) {
        long batch = sparse.getShape().get(0);
        long dim = config.promptEmbedDim();
        NDArray tokens = sparse.zerosLike().get(":, 0:1, :").repeat(1, maskTokens + 1).add(outputTokens).concat(sparse, 1);
        NDArray src = dense.add(embedding); // the embedding repeated for each prompt of the batch, by broadcasting
        long side = src.getShape().get(2);
        NDArray keys = src.reshape(batch, dim, side * side).transpose(0, 2, 1);
        NDArray keyPositions = positions; // broadcast over the batch by every add
        NDArray queries = tokens;
        for (TwoWayBlock layer : layers) {
            NDList out = layer.forward(queries, keys, tokens, keyPositions);
            queries = out.get(0);
            keys = out.get(1);
        }
        queries = finalNorm.forward(queries.add(finalAttention.forward(queries.add(tokens), keys.add(keyPositions), keys)));

        // the upscaling channels-last: [B, side, side, C] -> [B, 4 side, 4 side, C / 8]
        NDArray image = keys.reshape(batch, side, side, dim);
        NDArray upscaled = Activation.gelu(upscale3.forwardChannelsLast(Activation.gelu(upscale1.forward(upscale0.forwardChannelsLast(image)))));
        long channels = upscaled.getShape().get(3);
        long h = upscaled.getShape().get(1);
        long w = upscaled.getShape().get(2);
        NDList hyper = new NDList();
        for (int i = 0; i < maskTokens; i++) {
            hyper.add(hypernetworks.get(i).forward(queries.get(":, " + (1 + i) + ", :")));
        }
        NDArray masks = NDArrays.stack(hyper, 1).matMul(upscaled.reshape(batch, h * w, channels).transpose(0, 2, 1))
                .reshape(batch, maskTokens, h, w);
        NDArray iou = iouHead.forward(queries.get(":, 0, :"));
        return multimask ? new NDList(masks.get(":, 1:, :, :"), iou.get(":, 1:"))
                : new NDList(masks.get(":, 0:1, :, :"), iou.get(":, 0:1"));
    }

    /** Attention whose queries, keys and values are projected down by {@code downsample} before the heads. */
    private static final class DecoderAttention {
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear out;
        private final int heads;

        DecoderAttention(Parameters p, long dim, int heads, int downsample) {
            long internal = dim / downsample;
            this.q = new Linear(p.child("q_proj"), dim, internal, true);
            this.k = new Linear(p.child("k_proj"), dim, internal, true);
            this.v = new Linear(p.child("v_proj"), dim, internal, true);
            this.out = new Linear(p.child("out_proj"), internal, dim, true);
            this.heads = heads;
        }

        NDArray forward(NDArray queries, NDArray keys, NDArray values) {
            return out.forward(Attention.attend(q.forward(queries), k.forward(keys), v.forward(values), heads, null, null));
        }
    }

    /** Self-attention of the tokens, tokens to image, MLP, image to tokens; each behind a residual and a norm. */
    private static final class TwoWayBlock {
        private final DecoderAttention self;
        private final LayerNorm norm1;
        private final DecoderAttention tokenToImage;
        private final LayerNorm norm2;
        private final Linear lin1;
        private final Linear lin2;
        private final LayerNorm norm3;
        private final LayerNorm norm4;
        private final DecoderAttention imageToToken;
        private final boolean skipFirstPositions;

        TwoWayBlock(Parameters p, SamConfig c, boolean skipFirstPositions) {
            long dim = c.promptEmbedDim();
            int heads = c.decoderNumHeads();
            this.self = new DecoderAttention(p.child("self_attn"), dim, heads, 1);
            this.norm1 = new LayerNorm(p.child("norm1"), dim, EPS);
            this.tokenToImage = new DecoderAttention(p.child("cross_attn_token_to_image"), dim, heads, 2);
            this.norm2 = new LayerNorm(p.child("norm2"), dim, EPS);
            this.lin1 = new Linear(p.child("mlp").child("lin1"), dim, c.decoderMlpDim(), true);
            this.lin2 = new Linear(p.child("mlp").child("lin2"), c.decoderMlpDim(), dim, true);
            this.norm3 = new LayerNorm(p.child("norm3"), dim, EPS);
            this.norm4 = new LayerNorm(p.child("norm4"), dim, EPS);
            this.imageToToken = new DecoderAttention(p.child("cross_attn_image_to_token"), dim, heads, 2);
            this.skipFirstPositions = skipFirstPositions;
        }

        NDList forward(NDArray queries, NDArray keys, NDArray queryPositions, NDArray keyPositions) {
            if (skipFirstPositions) {
                queries = self.forward(queries, queries, queries); // the first layer: no residual, no positions
            } else {
                NDArray q = queries.add(queryPositions);
                queries = queries.add(self.forward(q, q, queries));
            }
            queries = norm1.forward(queries);
            NDArray k = keys.add(keyPositions);
            queries = norm2.forward(queries.add(tokenToImage.forward(queries.add(queryPositions), k, keys)));
            queries = norm3.forward(queries.add(lin2.forward(lin1.forward(queries).getNDArrayInternal().relu())));
            NDArray q = queries.add(queryPositions);
            keys = norm4.forward(keys.add(imageToToken.forward(k, q, queries)));
            return new NDList(queries, keys);
        }
    }
}
