package org.editstream.models.dino;

import ai.djl.ndarray.NDArray;
import org.editstream.models.ModelException;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.Interpolate;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The DINOv2 vision transformer (the reference's names: {@code patch_embed.proj}, {@code cls_token},
 * {@code pos_embed}, {@code blocks.N}, {@code norm}), the backbone of Depth Anything V2 and of DINO similarity.
 *
 * <p>Tokens: the image's patches (a strided convolution), a class token, learned positions, and register tokens when
 * the checkpoint has them. The positions are learned on a {@code pos_embed_grid} square: for another patch grid (or a
 * non-square image) they are interpolated bicubically with scale factors {@code (side + interpolate_offset) / grid},
 * as the reference does, so the numbers equal its own (not those of a resize to the exact size). Each block is
 * pre-norm attention and MLP, each scaled by a learned per-channel layer scale before its residual.
 */
public final class Dinov2 {
    private final Dinov2Config config;
    private final Conv2d patchEmbedding;
    private final NDArray classToken;
    private final NDArray registers;
    /** The class token's position [1, 1, C]. */
    private final NDArray classPosition;
    /** The patch positions as an image [1, C, grid, grid], ready to interpolate. */
    private final NDArray patchPositions;
    private final NDArray patchPositionTokens;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm norm;

    public Dinov2(Parameters p, Dinov2Config c) {
        this.config = c;
        long dim = c.embedDim();
        int grid = c.posEmbedGrid();
        this.patchEmbedding = new Conv2d(p.child("patch_embed").child("proj"), 3, dim, c.patchSize(), c.patchSize(), 0, true);
        this.classToken = p.get("cls_token", 1, 1, dim);
        this.registers = c.numRegisterTokens() > 0 ? p.get("register_tokens", 1, c.numRegisterTokens(), dim) : null;
        p.get("mask_token", 1, dim); // masked-image training only; part of every checkpoint
        NDArray positions = p.get("pos_embed", 1, (long) grid * grid + 1, dim);
        this.classPosition = positions == null ? null : positions.get(":, 0:1, :");
        this.patchPositionTokens = positions == null ? null : positions.get(":, 1:, :");
        this.patchPositions = positions == null ? null
                : patchPositionTokens.reshape(1, grid, grid, dim).transpose(0, 3, 1, 2).duplicate();
        for (int i = 0; i < c.depth(); i++) {
            blocks.add(new Block(p.child("blocks").child(Integer.toString(i)), c));
        }
        this.norm = new LayerNorm(p.child("norm"), dim, c.layerNormEps());
    }

    public Dinov2Config config() {
        return config;
    }

    /**
     * The tokens [B, 1 + registers + patches, C] after each of {@code layers} (block indices), each through the final
     * norm, as the reference's {@code get_intermediate_layers(..., norm=True)}.
     *
     * @param pixels normalised [B, 3, H, W], H and W multiples of the patch size
     */
    public List<NDArray> intermediate(NDArray pixels, int... layers) {
        for (int layer : layers) {
            if (layer < 0 || layer >= blocks.size()) {
                throw new ModelException("block " + layer + " of " + blocks.size() + " asked for; layers " + Arrays.toString(layers));
            }
        }
        NDArray x = tokens(pixels);
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            Block block = blocks.get(i);
            x = Scoped.apply(in -> block.forward(in[0]), x); // one block's intermediates at a time
            for (int layer : layers) {
                if (layer == i) {
                    out.add(norm.forward(x));
                }
            }
        }
        return out;
    }

    /** The class token [B, C] after the last block and the final norm. */
    public NDArray classToken(NDArray pixels) {
        return intermediate(pixels, blocks.size() - 1).get(0).get(":, 0, :");
    }

    /** The patch tokens [B, N, C] of one {@link #intermediate} output (class and register tokens dropped). */
    public NDArray patchTokens(NDArray tokens) {
        return tokens.get(":, " + (1 + config.numRegisterTokens()) + ":, :");
    }

    private NDArray tokens(NDArray pixels) {
        long batch = pixels.getShape().get(0);
        long height = pixels.getShape().get(2);
        long width = pixels.getShape().get(3);
        int patch = config.patchSize();
        if (height % patch != 0 || width % patch != 0) {
            throw new ModelException("image " + width + "x" + height + " is not a multiple of the patch size " + patch);
        }
        long dim = config.embedDim();
        NDArray patches = patchEmbedding.forward(pixels).reshape(batch, dim, -1).transpose(0, 2, 1);
        NDArray cls = patches.zerosLike().get(":, 0:1, :").add(classToken).add(classPosition);
        NDArray x = cls.concat(patches.add(positions(patches, height / patch, width / patch)), 1);
        if (registers != null) {
            x = x.get(":, 0:1, :").concat(x.zerosLike().get(":, 0:" + config.numRegisterTokens() + ", :").add(registers), 1)
                    .concat(x.get(":, 1:, :"), 1);
        }
        return x;
    }

    /** The patch positions [1, rows*cols, C] for a rows x cols patch grid: the learned ones, or interpolated into the activations' manager. */
    private NDArray positions(NDArray activations, long rows, long cols) {
        int grid = config.posEmbedGrid();
        if (rows * cols == (long) grid * grid && rows == cols) {
            return patchPositionTokens;
        }
        double offset = config.interpolateOffset();
        NDArray resized = Interpolate.bicubicByScale(patchPositions, (rows + offset) / grid, (cols + offset) / grid,
                activations.getManager());
        if (resized.getShape().get(2) != rows || resized.getShape().get(3) != cols) {
            throw new ModelException("positions interpolated to " + resized.getShape() + " for a " + rows + "x" + cols
                    + " patch grid (interpolate_offset " + offset + ")");
        }
        return resized.transpose(0, 2, 3, 1).reshape(1, rows * cols, config.embedDim());
    }

    /** One block: x + ls1(attn(norm1(x))), then x + ls2(mlp(norm2(x))). */
    private static final class Block {
        private final LayerNorm norm1;
        private final Linear qkv;
        private final Linear proj;
        private final NDArray scale1;
        private final LayerNorm norm2;
        private final Linear fc1;
        private final Linear fc2;
        private final NDArray scale2;
        private final int heads;
        private final long dim;

        Block(Parameters p, Dinov2Config c) {
            this.dim = c.embedDim();
            long hidden = dim * c.mlpRatio();
            this.heads = c.numHeads();
            this.norm1 = new LayerNorm(p.child("norm1"), dim, c.layerNormEps());
            this.qkv = new Linear(p.child("attn").child("qkv"), dim, 3 * dim, true);
            this.proj = new Linear(p.child("attn").child("proj"), dim, dim, true);
            this.scale1 = c.layerScale() ? p.child("ls1").get("gamma", dim) : null;
            this.norm2 = new LayerNorm(p.child("norm2"), dim, c.layerNormEps());
            this.fc1 = new Linear(p.child("mlp").child("fc1"), dim, hidden, true);
            this.fc2 = new Linear(p.child("mlp").child("fc2"), hidden, dim, true);
            this.scale2 = c.layerScale() ? p.child("ls2").get("gamma", dim) : null;
        }

        NDArray forward(NDArray x) {
            NDArray qkvOut = qkv.forward(norm1.forward(x));
            NDArray attended = Attention.attend(qkvOut.get(":, :, 0:" + dim), qkvOut.get(":, :, " + dim + ":" + 2 * dim),
                    qkvOut.get(":, :, " + 2 * dim + ":"), heads, null, null);
            x = x.add(scaled(proj.forward(attended), scale1));
            return x.add(scaled(fc2.forward(fc1.forward(norm2.forward(x), Activation.GELU)), scale2));
        }

        private static NDArray scaled(NDArray x, NDArray gamma) {
            return gamma == null ? x : x.muli(gamma);
        }
    }
}
