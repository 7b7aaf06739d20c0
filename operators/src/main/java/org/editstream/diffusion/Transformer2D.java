package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.GroupNorm;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code Transformer2DModel} on a feature map: group norm, projection in (1x1 conv, or linear
 * when {@code use_linear_projection}), basic transformer blocks (self-attention, cross-attention to the
 * text, GEGLU feed-forward, each pre-norm with a residual), projection out, plus the input.
 */
final class Transformer2D {
    private final GroupNorm norm;
    private final Linear projectIn;
    private final Linear projectOut;
    private final List<Block> blocks = new ArrayList<>();

    Transformer2D(Parameters p, String name, AttentionSite.Place place, int blockIndex, int attentionIndex, long channels, int heads,
                  int layers, long contextDim, int groups, boolean linearProjection) {
        this.norm = new GroupNorm(p.child("norm"), groups, channels, 1e-6);
        long inner = channels; // heads x (channels / heads)
        // a 1x1 convolution projection (older configs) is the same linear map, stored with two unit axes
        this.projectIn = linearProjection ? new Linear(p.child("proj_in"), channels, inner, true)
                : Linear.pointwiseConvolution(p.child("proj_in"), channels, inner);
        this.projectOut = linearProjection ? new Linear(p.child("proj_out"), inner, channels, true)
                : Linear.pointwiseConvolution(p.child("proj_out"), inner, channels);
        for (int i = 0; i < layers; i++) {
            String blockName = name + ".transformer_blocks." + i;
            blocks.add(new Block(p.child("transformer_blocks").child(Integer.toString(i)), blockName, place, blockIndex,
                    attentionIndex, inner, heads, contextDim));
        }
    }

    NDArray forward(NDArray x, NDArray context, UNetHooks hooks) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray y = projectIn.forward(norm.forward(x).transpose(0, 2, 3, 1).reshape(b, h * w, c));
        for (Block block : blocks) {
            y = block.forward(y, context, hooks);
        }
        y = projectOut.forward(y).reshape(b, h, w, c).transpose(0, 3, 1, 2);
        return x.add(y); // x first: the sum takes its NCHW layout, not the transposed view's
    }

    private static final class Block {
        private final LayerNorm norm1;
        private final CrossAttention selfAttention;
        private final LayerNorm norm2;
        private final CrossAttention crossAttention;
        private final LayerNorm norm3;
        private final Linear geglu;
        private final Linear ffOut;

        Block(Parameters p, String name, AttentionSite.Place place, int blockIndex, int attentionIndex, long dim,
              int heads, long contextDim) {
            this.norm1 = new LayerNorm(p.child("norm1"), dim, 1e-5);
            this.selfAttention = new CrossAttention(p.child("attn1"), name + ".attn1", place, blockIndex, attentionIndex,
                    false, dim, dim, heads);
            this.norm2 = new LayerNorm(p.child("norm2"), dim, 1e-5);
            this.crossAttention = new CrossAttention(p.child("attn2"), name + ".attn2", place, blockIndex, attentionIndex,
                    true, dim, contextDim, heads);
            this.norm3 = new LayerNorm(p.child("norm3"), dim, 1e-5);
            long hidden = 4 * dim;
            this.geglu = new Linear(p.child("ff").child("net").child("0").child("proj"), dim, 2 * hidden, true);
            this.ffOut = new Linear(p.child("ff").child("net").child("2"), hidden, dim, true);
        }

        NDArray forward(NDArray x, NDArray context, UNetHooks hooks) {
            return Scoped.apply(in -> {
                NDArray y = in[0].add(selfAttention.forward(norm1.forward(in[0]), null, hooks));
                y.addi(crossAttention.forward(norm2.forward(y), in[1], hooks));
                NDArray projected = geglu.forward(norm3.forward(y));
                long half = projected.getShape().get(2) / 2;
                NDArray value = projected.get(":, :, :" + half);
                NDArray gate = projected.get(":, :, " + half + ":");
                return y.addi(ffOut.forward(Activation.gelu(gate).muli(value)));
            }, x, context);
        }
    }

    /** diffusers' {@code Attention} without biases on q/k/v, with a biased output projection. */
    static final class CrossAttention {
        private final String name;
        private final AttentionSite.Place place;
        private final int blockIndex;
        private final int attentionIndex;
        private final boolean cross;
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear out;
        private final int heads;

        CrossAttention(Parameters p, String name, AttentionSite.Place place, int blockIndex, int attentionIndex,
                       boolean cross, long dim, long contextDim, int heads) {
            this.name = name;
            this.place = place;
            this.blockIndex = blockIndex;
            this.attentionIndex = attentionIndex;
            this.cross = cross;
            this.q = new Linear(p.child("to_q"), dim, dim, false);
            this.k = new Linear(p.child("to_k"), contextDim, dim, false);
            this.v = new Linear(p.child("to_v"), contextDim, dim, false);
            this.out = new Linear(p.child("to_out").child("0"), dim, dim, true);
            this.heads = heads;
        }

        /** @param context the text states for cross-attention, null for self-attention */
        NDArray forward(NDArray x, NDArray context, UNetHooks hooks) {
            AttentionSite site = new AttentionSite(name, place, blockIndex, attentionIndex, cross, x.getShape().get(1));
            // the attention probabilities, the largest arrays of the model, are freed as soon as the layer returns
            return Scoped.apply(in -> {
                NDArray source = in.length == 1 ? in[0] : in[1];
                NDArray[] qk = hooks.queriesAndKeys(site, q.forward(in[0]), k.forward(source));
                NDArray attended = Attention.attend(qk[0], qk[1], v.forward(source), heads, null,
                        hooks.readsProbabilities(site) ? probabilities -> hooks.probabilities(site, probabilities) : null);
                return out.forward(attended);
            }, context == null ? new NDArray[] {x} : new NDArray[] {x, context});
        }
    }
}
