package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ModelException;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.GroupNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code UNet2DConditionModel} (the Stable Diffusion 1.x/2.x family, 4- or 9-channel input), built
 * from its config with diffusers' parameter names: conv in, sinusoidal timestep embedding and its MLP, down
 * blocks (ResNets, optional transformers, a strided-conv downsampler but in the last), the mid block, up blocks
 * taking the skips in reverse (nearest 2x upsampling and a conv but in the last), norm, SiLU, conv out.
 */
public final class UNet {
    private final UNetConfig config;
    private final Conv2d convIn;
    private final Linear time1;
    private final Linear time2;
    private final List<Block> down = new ArrayList<>();
    private final ResnetBlock midResnet0;
    private final Transformer2D midAttention;
    private final ResnetBlock midResnet1;
    private final List<Block> up = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;

    public UNet(Parameters p, UNetConfig c) {
        this.config = c;
        List<Integer> widths = c.blockOutChannels();
        List<Integer> heads = c.headsPerBlock();
        List<Integer> layers = c.transformerLayers();
        List<Integer> resnetsPerBlock = c.resnetsPerBlock();
        int groups = c.normNumGroups();
        double eps = c.normEps();
        long timeDim = c.timeEmbeddingDim();
        long context = c.contextDim();
        int blocks = c.blocks();

        this.convIn = new Conv2d(p.child("conv_in"), c.inChannels(), widths.get(0), c.convInKernel(), 1, (c.convInKernel() - 1) / 2);
        this.time1 = new Linear(p.child("time_embedding").child("linear_1"), widths.get(0), timeDim, true);
        this.time2 = new Linear(p.child("time_embedding").child("linear_2"), timeDim, timeDim, true);

        long out = widths.get(0);
        for (int i = 0; i < blocks; i++) {
            long in = out;
            out = widths.get(i);
            String name = "down_blocks." + i;
            Parameters bp = p.child("down_blocks").child(Integer.toString(i));
            boolean attention = c.downBlockTypes().get(i).startsWith("CrossAttn");
            Block block = new Block();
            for (int j = 0; j < resnetsPerBlock.get(i); j++) {
                long resIn = j == 0 ? in : out;
                block.resnets.add(new ResnetBlock(bp.child("resnets").child(Integer.toString(j)), name + ".resnets." + j,
                        resIn, out, timeDim, groups, eps, 1.0));
                if (attention) {
                    block.attentions.add(transformer(bp.child("attentions").child(Integer.toString(j)),
                            name + ".attentions." + j, AttentionSite.Place.DOWN, i, j, out, heads.get(i), layers.get(i),
                            context, groups, c.useLinearProjection()));
                }
            }
            if (i < blocks - 1) {
                block.resample = new Conv2d(bp.child("downsamplers").child("0").child("conv"), out, out, 3, 2,
                        c.downsamplePadding());
            }
            down.add(block);
        }

        long top = widths.get(blocks - 1);
        Parameters mid = p.child("mid_block");
        this.midResnet0 = new ResnetBlock(mid.child("resnets").child("0"), "mid_block.resnets.0", top, top, timeDim,
                groups, eps, c.midBlockScaleFactor());
        this.midAttention = transformer(mid.child("attentions").child("0"), "mid_block.attentions.0",
                AttentionSite.Place.MID, 0, 0, top, heads.get(blocks - 1), layers.get(blocks - 1), context, groups,
                c.useLinearProjection());
        this.midResnet1 = new ResnetBlock(mid.child("resnets").child("1"), "mid_block.resnets.1", top, top, timeDim,
                groups, eps, c.midBlockScaleFactor());

        long previous = top;
        for (int i = 0; i < blocks; i++) {
            int mirror = blocks - 1 - i;
            long output = widths.get(mirror);
            long input = widths.get(Math.max(mirror - 1, 0));
            String name = "up_blocks." + i;
            Parameters bp = p.child("up_blocks").child(Integer.toString(i));
            boolean attention = c.upBlockTypes().get(i).startsWith("CrossAttn");
            int resnets = resnetsPerBlock.get(mirror) + 1;
            Block block = new Block();
            for (int j = 0; j < resnets; j++) {
                long skip = j == resnets - 1 ? input : output;
                long resIn = j == 0 ? previous : output;
                block.resnets.add(new ResnetBlock(bp.child("resnets").child(Integer.toString(j)), name + ".resnets." + j,
                        resIn + skip, output, timeDim, groups, eps, 1.0));
                if (attention) {
                    block.attentions.add(transformer(bp.child("attentions").child(Integer.toString(j)),
                            name + ".attentions." + j, AttentionSite.Place.UP, i, j, output, heads.get(mirror),
                            layers.get(mirror), context, groups, c.useLinearProjection()));
                }
            }
            if (i < blocks - 1) {
                block.resample = new Conv2d(bp.child("upsamplers").child("0").child("conv"), output, output, 3, 1, 1);
            }
            up.add(block);
            previous = output;
        }

        this.normOut = new GroupNorm(p.child("conv_norm_out"), groups, widths.get(0), eps);
        this.convOut = new Conv2d(p.child("conv_out"), widths.get(0), c.outChannels(), c.convOutKernel(), 1,
                (c.convOutKernel() - 1) / 2);
    }

    private static Transformer2D transformer(Parameters p, String name, AttentionSite.Place place, int block,
                                             int attention, long channels, int heads, int layers, long context,
                                             int groups, boolean linear) {
        if (channels % heads != 0) {
            throw new ModelException("unet config: " + channels + " channels of " + name + " do not split into "
                    + heads + " heads");
        }
        return new Transformer2D(p, name, place, block, attention, channels, heads, layers, context, groups, linear);
    }

    public UNetConfig config() {
        return config;
    }

    /**
     * The model's output (noise or v prediction) for latents at the given timesteps.
     *
     * @param sample    [B, in_channels, h, w]
     * @param timesteps [B] (any numeric type)
     * @param context   text states [B, T, cross_attention_dim]
     */
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray context, UNetHooks hooks) {
        NDArray time = time2.forward(Activation.silu(time1.forward(
                timestepEmbedding(timesteps, config.blockOutChannels().get(0)).toType(sample.getDataType(), false))));

        NDArray x = convIn.forward(sample);
        List<NDArray> skips = new ArrayList<>();
        skips.add(x);
        for (Block block : down) {
            for (int j = 0; j < block.resnets.size(); j++) {
                x = block.resnets.get(j).forward(x, time, hooks);
                if (!block.attentions.isEmpty()) {
                    x = block.attentions.get(j).forward(x, context, hooks);
                }
                skips.add(x);
            }
            if (block.resample != null) {
                x = block.resample.forward(x);
                skips.add(x);
            }
        }

        x = midResnet0.forward(x, time, hooks);
        x = midAttention.forward(x, context, hooks);
        x = midResnet1.forward(x, time, hooks);

        for (Block block : up) {
            for (int j = 0; j < block.resnets.size(); j++) {
                NDArray skip = skips.remove(skips.size() - 1);
                x = block.resnets.get(j).forward(x.concat(skip, 1), time, hooks);
                if (!block.attentions.isEmpty()) {
                    x = block.attentions.get(j).forward(x, context, hooks);
                }
            }
            if (block.resample != null) {
                NDArray next = skips.get(skips.size() - 1);
                x = block.resample.forward(Resize.nearest(x, next.getShape().get(2), next.getShape().get(3)));
            }
        }
        return convOut.forward(normOut.forwardSilu(x));
    }

    /**
     * Sinusoidal embedding of timesteps as diffusers computes it: frequencies exp(-ln(10000) i / (half - shift)),
     * sines then cosines (swapped when {@code flip_sin_to_cos}).
     */
    NDArray timestepEmbedding(NDArray timesteps, int dim) {
        NDManager m = timesteps.getManager();
        int half = dim / 2;
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++) {
            freqs[i] = (float) Math.exp(-Math.log(10000) * i / (half - config.freqShift()));
        }
        NDArray t = timesteps.toType(DataType.FLOAT32, false).reshape(-1, 1);
        NDArray args = t.mul(m.create(freqs, new Shape(1, half)));
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        NDArray emb = config.flipSinToCos() ? cos.concat(sin, 1) : sin.concat(cos, 1);
        return dim % 2 == 1 ? emb.concat(m.zeros(new Shape(emb.getShape().get(0), 1)), 1) : emb;
    }

    private static final class Block {
        final List<ResnetBlock> resnets = new ArrayList<>();
        final List<Transformer2D> attentions = new ArrayList<>();
        Conv2d resample;
    }
}
