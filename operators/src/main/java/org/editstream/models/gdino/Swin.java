package org.editstream.models.gdino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.LayerNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The Swin Transformer as Hugging Face's {@code SwinBackbone} runs it for Grounding DINO (names under
 * {@code embeddings}, {@code encoder.layers.N}, {@code hidden_states_norms.stageN}).
 *
 * <p>Patches: a strided convolution after padding the image right and bottom to whole patches, then a layer norm.
 * Each stage's blocks attend within windows of {@code window_size}: the map is padded right and bottom to whole
 * windows, every second block shifts it by half a window (a cyclic roll, with a mask of -100 between tokens from
 * different regions of the unshifted map), and every window's attention adds a learned bias per relative position.
 * The backbone always partitions: a stage smaller than a window is padded to one, as the reference's backbone does.
 * Between stages, patch merging pads an odd side by one, concatenates each 2x2 neighbourhood and halves the channels
 * after a layer norm. The maps handed on are the out stages' outputs before merging, each through its own layer norm.
 */
public final class Swin {
    private final SwinConfig config;
    private final Conv2d patchEmbedding;
    private final LayerNorm embeddingNorm;
    private final List<List<Block>> stages = new ArrayList<>();
    private final List<Merging> merges = new ArrayList<>();
    /** The out stages' norms, by stage (null for stages not handed on). */
    private final List<LayerNorm> outNorms = new ArrayList<>();

    public Swin(Parameters p, SwinConfig c) {
        this.config = c;
        int patch = c.patchSize();
        this.patchEmbedding = new Conv2d(p.child("embeddings").child("patch_embeddings").child("projection"), c.numChannels(),
                c.embedDim(), patch, patch, 0, true);
        this.embeddingNorm = new LayerNorm(p.child("embeddings").child("norm"), c.embedDim(), c.layerNormEps());
        UnaryOperator<NDArray> act = Activation.named(c.hiddenAct());
        for (int s = 1; s <= c.depths().size(); s++) {
            Parameters layer = p.child("encoder").child("layers").child(Integer.toString(s - 1));
            long dim = c.channels(s);
            List<Block> blocks = new ArrayList<>();
            for (int b = 0; b < c.depths().get(s - 1); b++) {
                int shift = b % 2 == 0 ? 0 : c.windowSize() / 2;
                blocks.add(new Block(layer.child("blocks").child(Integer.toString(b)), c, dim, c.numHeads().get(s - 1), shift, act));
            }
            stages.add(blocks);
            merges.add(s < c.depths().size() ? new Merging(layer.child("downsample"), dim, c.layerNormEps()) : null);
            outNorms.add(c.outFeatures().contains("stage" + s)
                    ? new LayerNorm(p.child("hidden_states_norms").child("stage" + s), dim, c.layerNormEps()) : null);
        }
    }

    public SwinConfig config() {
        return config;
    }

    /** The out stages' maps [B, C_s, H_s, W_s], in stage order, of pixels [B, channels, H, W]. */
    public List<NDArray> forward(NDArray pixels) {
        int patch = config.patchSize();
        long height = pixels.getShape().get(2);
        long width = pixels.getShape().get(3);
        NDArray padded = pixels.pad(new Shape(0, pad(width, patch), 0, pad(height, patch)), 0);
        NDArray map = patchEmbedding.forward(padded);
        long batch = map.getShape().get(0);
        long h = map.getShape().get(2);
        long w = map.getShape().get(3);
        NDArray x = embeddingNorm.forward(map.reshape(batch, config.embedDim(), h * w).transpose(0, 2, 1));
        List<NDArray> out = new ArrayList<>();
        for (int s = 0; s < stages.size(); s++) {
            for (Block block : stages.get(s)) {
                long bh = h;
                long bw = w;
                x = Scoped.apply(in -> block.forward(in[0], bh, bw), x); // one block's intermediates at a time
            }
            if (outNorms.get(s) != null) {
                long c = x.getShape().get(2);
                out.add(outNorms.get(s).forward(x).reshape(batch, h, w, c).transpose(0, 3, 1, 2));
            }
            if (merges.get(s) != null) {
                x = merges.get(s).forward(x, h, w);
                h = (h + 1) / 2;
                w = (w + 1) / 2;
            }
        }
        return out;
    }

    /** What pads {@code size} to a multiple of {@code unit}. */
    static long pad(long size, long unit) {
        return (unit - size % unit) % unit;
    }

    /** One shifted-window block: windowed attention and an MLP, each pre-norm with a residual. */
    private static final class Block {
        private final int window;
        private final int shift;
        private final int heads;
        private final LayerNorm before;
        private final Linear query;
        private final Linear key;
        private final Linear value;
        private final Linear output;
        private final LayerNorm after;
        private final Linear intermediate;
        private final Linear mlpOut;
        private final UnaryOperator<NDArray> act;
        /** The relative position bias [1, heads, N, N] of a window of N tokens. */
        private final NDArray bias;

        Block(Parameters p, SwinConfig c, long dim, int heads, int shift, UnaryOperator<NDArray> act) {
            this.window = c.windowSize();
            this.shift = shift;
            this.heads = heads;
            this.act = act;
            this.before = new LayerNorm(p.child("layernorm_before"), dim, c.layerNormEps());
            Parameters self = p.child("attention").child("self");
            this.query = new Linear(self.child("query"), dim, dim, c.qkvBias());
            this.key = new Linear(self.child("key"), dim, dim, c.qkvBias());
            this.value = new Linear(self.child("value"), dim, dim, c.qkvBias());
            this.output = new Linear(p.child("attention").child("output").child("dense"), dim, dim, true);
            this.after = new LayerNorm(p.child("layernorm_after"), dim, c.layerNormEps());
            long hidden = (long) (dim * c.mlpRatio());
            this.intermediate = new Linear(p.child("intermediate").child("dense"), dim, hidden, true);
            this.mlpOut = new Linear(p.child("output").child("dense"), hidden, dim, true);
            long side = 2L * window - 1;
            NDArray table = self.get("relative_position_bias_table", side * side, heads);
            this.bias = table == null ? null : relativeBias(table, window, heads);
        }

        NDArray forward(NDArray x, long h, long w) {
            long batch = x.getShape().get(0);
            long c = x.getShape().get(2);
            long hp = h + pad(h, window);
            long wp = w + pad(w, window);
            NDArray y = before.forward(x).reshape(batch, h, w, c).pad(new Shape(0, 0, 0, wp - w, 0, hp - h), 0);
            if (shift > 0) {
                y = roll(roll(y, 1, -shift), 2, -shift);
            }
            long rows = hp / window;
            long columns = wp / window;
            long n = (long) window * window;
            NDArray windows = y.reshape(batch, rows, window, columns, window, c).transpose(0, 1, 3, 2, 4, 5)
                    .reshape(batch * rows * columns, n, c);
            NDArray mask = bias;
            if (shift > 0) {
                NDArray regions = shiftMask(x.getManager(), hp, wp).expandDims(1); // [nW, 1, N, N]
                mask = regions.add(bias).tile(new long[] {batch, 1, 1, 1});
            }
            NDArray attended = output.forward(Attention.attend(query.forward(windows), key.forward(windows),
                    value.forward(windows), heads, mask, null));
            y = attended.reshape(batch, rows, columns, window, window, c).transpose(0, 1, 3, 2, 4, 5).reshape(batch, hp, wp, c);
            if (shift > 0) {
                y = roll(roll(y, 1, shift), 2, shift);
            }
            NDArray h1 = x.add(y.get(":, :" + h + ", :" + w + ", :").reshape(batch, h * w, c));
            return h1.add(mlpOut.forward(intermediate.forward(after.forward(h1), act)));
        }

        /**
         * The shifted windows' mask [nW, N, N]: 0 between tokens of the same region of the unshifted map, -100
         * between regions (the map's last window and last half window along each side are regions of their own).
         */
        private NDArray shiftMask(NDManager manager, long hp, long wp) {
            int rows = (int) (hp / window);
            int columns = (int) (wp / window);
            int n = window * window;
            float[] mask = new float[rows * columns * n * n];
            int[] label = new int[n];
            for (int r = 0; r < rows; r++) {
                for (int col = 0; col < columns; col++) {
                    for (int i = 0; i < window; i++) {
                        for (int j = 0; j < window; j++) {
                            label[i * window + j] = 3 * region(r * window + i, hp) + region(col * window + j, wp);
                        }
                    }
                    int base = (r * columns + col) * n * n;
                    for (int a = 0; a < n; a++) {
                        for (int b = 0; b < n; b++) {
                            mask[base + a * n + b] = label[a] == label[b] ? 0f : -100f;
                        }
                    }
                }
            }
            return manager.create(mask, new Shape((long) rows * columns, n, n));
        }

        /** Which of the three regions (the rest, the last window but its last half window, that half) holds row i. */
        private int region(long i, long size) {
            if (i < size - window) {
                return 0;
            }
            return i < size - shift ? 1 : 2;
        }

        /** The bias table [(2w-1)^2, heads] at every pair of a window's positions: [1, heads, N, N]. */
        private static NDArray relativeBias(NDArray table, int window, int heads) {
            int n = window * window;
            int side = 2 * window - 1;
            float[] values = table.toFloatArray();
            float[] bias = new float[heads * n * n];
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    int dy = a / window - b / window + window - 1;
                    int dx = a % window - b % window + window - 1;
                    int index = dy * side + dx;
                    for (int hd = 0; hd < heads; hd++) {
                        bias[(hd * n + a) * n + b] = values[index * heads + hd];
                    }
                }
            }
            return table.getManager().create(bias, new Shape(1, heads, n, n));
        }
    }

    /** x rolled by {@code by} along {@code axis} (torch.roll): element i moves to i + by. */
    static NDArray roll(NDArray x, int axis, long by) {
        long size = x.getShape().get(axis);
        long k = ((by % size) + size) % size;
        if (k == 0) {
            return x;
        }
        String prefix = ":, ".repeat(axis);
        return NDArrays.concat(new NDList(x.get(prefix + (size - k) + ":"), x.get(prefix + ":" + (size - k))), axis);
    }

    /** Patch merging: each 2x2 neighbourhood's channels concatenated, normalised, and reduced to twice the channels. */
    private static final class Merging {
        private final LayerNorm norm;
        private final Linear reduction;

        Merging(Parameters p, long dim, double eps) {
            this.norm = new LayerNorm(p.child("norm"), 4 * dim, eps);
            this.reduction = new Linear(p.child("reduction"), 4 * dim, 2 * dim, false);
        }

        NDArray forward(NDArray x, long h, long w) {
            long batch = x.getShape().get(0);
            long c = x.getShape().get(2);
            NDArray y = x.reshape(batch, h, w, c).pad(new Shape(0, 0, 0, w % 2, 0, h % 2), 0);
            NDArray merged = NDArrays.concat(new NDList(y.get(":, 0::2, 0::2, :"), y.get(":, 1::2, 0::2, :"),
                    y.get(":, 0::2, 1::2, :"), y.get(":, 1::2, 1::2, :")), -1);
            return reduction.forward(norm.forward(merged.reshape(batch, -1, 4 * c)));
        }
    }
}
