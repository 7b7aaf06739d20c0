package org.editstream.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelException;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * SAM's ViT image encoder (names under {@code image_encoder.}): patches by a strided convolution, absolute positions on
 * the patch grid, blocks that attend within windows (the grid zero-padded to window multiples, the padding dropped
 * after) or globally, each with decomposed relative positions added to the attention logits, and the neck (1x1 and
 * 3x3 convolutions without bias, each followed by a channel layer norm) to the prompt width.
 */
final class SamImageEncoder {
    private final SamConfig config;
    private final Conv2d patchEmbedding;
    private final NDArray positions;
    private final List<Block> blocks = new ArrayList<>();
    private final Conv2d neck0;
    private final ChannelNorm neck1;
    private final Conv2d neck2;
    private final ChannelNorm neck3;

    SamImageEncoder(Parameters p, SamConfig c) {
        this.config = c;
        long dim = c.encoderEmbedDim();
        int side = c.embeddingSide();
        this.patchEmbedding = new Conv2d(p.child("patch_embed").child("proj"), 3, dim, c.patchSize(), c.patchSize(), 0, true);
        this.positions = p.get("pos_embed", 1, side, side, dim);
        for (int i = 0; i < c.encoderDepth(); i++) {
            int window = c.encoderGlobalAttnIndexes().contains(i) ? 0 : c.windowSize();
            blocks.add(new Block(p.child("blocks").child(Integer.toString(i)), c, window, window > 0 ? window : side));
        }
        Parameters neck = p.child("neck");
        long out = c.promptEmbedDim();
        this.neck0 = new Conv2d(neck.child("0"), dim, out, 1, 1, 0, false);
        this.neck1 = new ChannelNorm(neck.child("1"), out);
        this.neck2 = new Conv2d(neck.child("2"), out, out, 3, 1, 1, false);
        this.neck3 = new ChannelNorm(neck.child("3"), out);
    }

    /** Preprocessed images [B, 3, size, size] to image embeddings [B, prompt width, side, side]. */
    NDArray forward(NDArray pixels) {
        long size = config.imageSize();
        if (pixels.getShape().get(2) != size || pixels.getShape().get(3) != size) {
            throw new ModelException("SAM's image encoder takes " + size + "x" + size + " inputs, not " + pixels.getShape());
        }
        NDArray x = patchEmbedding.forward(pixels).transpose(0, 2, 3, 1).add(positions); // [B, H, W, C]
        for (Block block : blocks) {
            x = Scoped.apply(in -> block.forward(in[0]), x); // one block's intermediates at a time
        }
        x = x.transpose(0, 3, 1, 2);
        return neck3.forward(neck2.forward(neck1.forward(neck0.forward(x))));
    }

    /** One block: x + attn(norm1(x)) (windowed or global), then x + mlp(norm2(x)). */
    private static final class Block {
        private final LayerNorm norm1;
        private final Linear qkv;
        private final Linear proj;
        private final LayerNorm norm2;
        private final Linear lin1;
        private final Linear lin2;
        private final int heads;
        private final long dim;
        private final int window;
        /** Side of the grid the block attends over: the window, or the whole embedding grid. */
        private final int grid;
        /** rel_pos_h and rel_pos_w gathered by relative position, as [query side, head_dim, key side] each, or null. */
        private final NDArray relativeH;
        private final NDArray relativeW;
        /** Each key's one-hot row, then column, over the grid: [T, 2 side], or null. */
        private final NDArray keyCodes;

        Block(Parameters p, SamConfig c, int window, int attended) {
            this.dim = c.encoderEmbedDim();
            this.heads = c.encoderNumHeads();
            this.window = window;
            this.grid = attended;
            long headDim = dim / heads;
            double eps = c.layerNormEpsEncoder();
            this.norm1 = new LayerNorm(p.child("norm1"), dim, eps);
            Parameters attn = p.child("attn");
            this.qkv = new Linear(attn.child("qkv"), dim, 3 * dim, c.qkvBias());
            this.proj = new Linear(attn.child("proj"), dim, dim, true);
            if (c.useRelPos()) {
                NDArray relPosH = attn.get("rel_pos_h", 2L * attended - 1, headDim);
                this.relativeH = keysLast(byRelativePosition(relPosH, attended));
                this.relativeW = keysLast(byRelativePosition(attn.get("rel_pos_w", 2L * attended - 1, headDim), attended));
                this.keyCodes = relPosH == null ? null : keyCodes(relPosH, attended);
            } else {
                this.relativeH = null;
                this.relativeW = null;
                this.keyCodes = null;
            }
            this.norm2 = new LayerNorm(p.child("norm2"), dim, eps);
            long hidden = dim * c.mlpRatio();
            this.lin1 = new Linear(p.child("mlp").child("lin1"), dim, hidden, true);
            this.lin2 = new Linear(p.child("mlp").child("lin2"), hidden, dim, true);
        }

        private static NDArray keyCodes(NDArray like, int side) {
            float[] codes = new float[side * side * 2 * side];
            for (int ky = 0; ky < side; ky++) {
                for (int kx = 0; kx < side; kx++) {
                    int token = ky * side + kx;
                    codes[token * 2 * side + ky] = 1;
                    codes[token * 2 * side + side + kx] = 1;
                }
            }
            return like.getManager().create(codes, new Shape(side * side, 2L * side)).toType(like.getDataType(), false);
        }

        private static NDArray keysLast(NDArray table) {
            return table == null ? null : table.transpose(0, 2, 1).duplicate();
        }

        /** table[q, k] = relPos[q - k + side - 1] for q, k over one axis (query and key sizes are equal here). */
        private static NDArray byRelativePosition(NDArray relPos, int side) {
            if (relPos == null) {
                return null;
            }
            long headDim = relPos.getShape().get(1);
            float[] rows = relPos.toType(DataType.FLOAT32, false).toFloatArray();
            float[] table = new float[(int) (side * side * headDim)];
            for (int q = 0; q < side; q++) {
                for (int k = 0; k < side; k++) {
                    System.arraycopy(rows, (int) ((q - k + side - 1) * headDim), table, (int) ((q * side + k) * headDim), (int) headDim);
                }
            }
            NDManager m = relPos.getManager();
            return m.create(table, new Shape(side, side, headDim)).toType(relPos.getDataType(), false);
        }

        NDArray forward(NDArray x) {
            long b = x.getShape().get(0);
            long h = x.getShape().get(1);
            long w = x.getShape().get(2);
            NDArray n = norm1.forward(x);
            long hp = h;
            long wp = w;
            if (window > 0) {
                hp = (h + window - 1) / window * window;
                wp = (w + window - 1) / window * window;
                if (hp != h || wp != w) {
                    n = n.pad(new Shape(0, 0, 0, wp - w, 0, hp - h), 0); // zeros below and to the right
                }
                n = n.reshape(b, hp / window, window, wp / window, window, dim).transpose(0, 1, 3, 2, 4, 5)
                        .reshape(-1, window, window, dim);
            }
            NDArray attended = attend(n);
            if (window > 0) {
                attended = attended.reshape(b, hp / window, wp / window, window, window, dim).transpose(0, 1, 3, 2, 4, 5)
                        .reshape(b, hp, wp, dim);
                if (hp != h || wp != w) {
                    attended = attended.get(":, 0:" + h + ", 0:" + w + ", :");
                }
            }
            x = x.add(attended);
            return x.add(lin2.forward(lin1.forward(norm2.forward(x), Activation.GELU)));
        }

        /**
         * Attention over the tokens of [N, side, side, C] (windows, or whole grids). The decomposed relative positions
         * add q . Rh[qy, ky] + q . Rw[qx, kx] to the logit of query (qy, qx) and key (ky, kx), with the unscaled query.
         * Rather than a [T, T] mask per head, each query gains its 2 * side products with Rh and Rw as features and each
         * key the one-hot codes of its row and column, so that the augmented dot product is the reference's logit and
         * the fused attention never writes a [T, T] array (v gains zeros to the same width).
         */
        private NDArray attend(NDArray x) {
            long n = x.getShape().get(0);
            long side = x.getShape().get(1);
            if (side != grid || x.getShape().get(2) != grid) {
                throw new ModelException("attention over " + x.getShape() + " where the relative positions are for " + grid);
            }
            long tokens = side * side;
            long headDim = dim / heads;
            NDArray qkvOut = qkv.forward(x.reshape(n, tokens, dim)); // [N, T, 3C]
            NDArray q = perHead(qkvOut.get(":, :, 0:" + dim), n, tokens, headDim);
            NDArray k = perHead(qkvOut.get(":, :, " + dim + ":" + 2 * dim), n, tokens, headDim);
            NDArray v = perHead(qkvOut.get(":, :, " + 2 * dim + ":"), n, tokens, headDim);
            double scale = 1.0 / Math.sqrt(headDim);
            NDArray out;
            if (relativeH == null) {
                out = Attention.attendHeads(q, k, v, scale);
            } else {
                NDArray relative = relativeLogits(q, n, side, headDim); // [N, heads, T, 2 side]
                NDArray augmentedQ = q.mul((float) scale).concat(relative, -1);
                NDArray augmentedK = k.concat(relative.zerosLike().add(keyCodes), -1);
                NDArray paddedV = v.concat(relative.zerosLike(), -1);
                out = Attention.attendHeads(augmentedQ, augmentedK, paddedV, 1.0).get(":, :, :, 0:" + headDim);
            }
            return proj.forward(out.transpose(0, 2, 1, 3).reshape(n, tokens, dim)).reshape(n, side, side, dim);
        }

        private NDArray perHead(NDArray x, long n, long tokens, long headDim) {
            return x.reshape(n, tokens, heads, headDim).transpose(0, 2, 1, 3);
        }

        /**
         * The queries' products with the gathered relative positions, [N, heads, T, 2 side]: for query (qy, qx),
         * q . Rh[qy, ky] over ky, then q . Rw[qx, kx] over kx.
         */
        private NDArray relativeLogits(NDArray q, long n, long side, long headDim) {
            long nh = n * heads;
            NDArray grid = q.reshape(nh, side, side, headDim); // [nh, qy, qx, C]
            // [qy, nh*qx, C] x [qy, C, ky] -> [qy, nh*qx, ky] -> [nh, qy, qx, ky]
            NDArray rows = grid.transpose(1, 0, 2, 3).reshape(side, nh * side, headDim).matMul(relativeH)
                    .reshape(side, nh, side, side).transpose(1, 0, 2, 3);
            // [qx, nh*qy, C] x [qx, C, kx] -> [qx, nh*qy, kx] -> [nh, qy, qx, kx]
            NDArray cols = grid.transpose(2, 0, 1, 3).reshape(side, nh * side, headDim).matMul(relativeW)
                    .reshape(side, nh, side, side).transpose(1, 2, 0, 3);
            return rows.concat(cols, -1).reshape(n, heads, side * side, 2 * side);
        }
    }
}
