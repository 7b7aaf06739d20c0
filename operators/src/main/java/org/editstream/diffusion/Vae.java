package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.GroupNorm;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * diffusers' {@code AutoencoderKL}: the encoder to a diagonal Gaussian over latents (mean, std) and the
 * decoder back to images in [-1, 1], with diffusers' parameter names. Older files name the mid-block
 * attention {@code query/key/value/proj_attn}; {@link #LEGACY_NAMES} maps them to today's names.
 */
public final class Vae {
    private static final double EPS = 1e-6;
    private static final Pattern LEGACY = Pattern.compile("(\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)\\.");

    /** Renames the deprecated attention names of older VAE files to {@code to_q/to_k/to_v/to_out.0}. */
    public static final UnaryOperator<String> LEGACY_NAMES = name -> {
        var m = LEGACY.matcher(name);
        if (!m.find()) {
            return name;
        }
        String now = switch (m.group(2)) {
            case "query" -> "to_q";
            case "key" -> "to_k";
            case "value" -> "to_v";
            default -> "to_out.0";
        };
        return name.substring(0, m.start(2)) + now + name.substring(m.end(2));
    };

    private final VaeConfig config;
    // encoder
    private final Conv2d encIn;
    private final List<Stage> encStages = new ArrayList<>();
    private final Mid encMid;
    private final GroupNorm encNorm;
    private final Conv2d encOut;
    private final Conv2d quant;
    // decoder
    private final Conv2d postQuant;
    private final Conv2d decIn;
    private final Mid decMid;
    private final List<Stage> decStages = new ArrayList<>();
    private final GroupNorm decNorm;
    private final Conv2d decOut;

    public Vae(Parameters p, VaeConfig c) {
        this.config = c;
        List<Integer> widths = c.blockOutChannels();
        int groups = c.normNumGroups();
        int blocks = widths.size();
        long latent2 = 2L * c.latentChannels();
        Parameters e = p.child("encoder");
        this.encIn = new Conv2d(e.child("conv_in"), c.inChannels(), widths.get(0), 3, 1, 1);
        long out = widths.get(0);
        for (int i = 0; i < blocks; i++) {
            long in = out;
            out = widths.get(i);
            Parameters bp = e.child("down_blocks").child(Integer.toString(i));
            Stage stage = new Stage();
            for (int j = 0; j < c.layersPerBlock(); j++) {
                stage.resnets.add(new ResnetBlock(bp.child("resnets").child(Integer.toString(j)),
                        "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? in : out, out, 0, groups, EPS, 1.0));
            }
            if (i < blocks - 1) {
                stage.resample = new Conv2d(bp.child("downsamplers").child("0").child("conv"), out, out, 3, 2, 0);
            }
            encStages.add(stage);
        }
        long top = widths.get(blocks - 1);
        this.encMid = new Mid(e.child("mid_block"), "encoder.mid_block", top, groups, c.midBlockAddAttention());
        this.encNorm = new GroupNorm(e.child("conv_norm_out"), groups, top, EPS);
        this.encOut = new Conv2d(e.child("conv_out"), top, latent2, 3, 1, 1);
        this.quant = new Conv2d(p.child("quant_conv"), latent2, latent2, 1, 1, 0);

        Parameters d = p.child("decoder");
        this.postQuant = new Conv2d(p.child("post_quant_conv"), c.latentChannels(), c.latentChannels(), 1, 1, 0);
        this.decIn = new Conv2d(d.child("conv_in"), c.latentChannels(), top, 3, 1, 1);
        this.decMid = new Mid(d.child("mid_block"), "decoder.mid_block", top, groups, c.midBlockAddAttention());
        long previous = top;
        for (int i = 0; i < blocks; i++) {
            long output = widths.get(blocks - 1 - i);
            Parameters bp = d.child("up_blocks").child(Integer.toString(i));
            Stage stage = new Stage();
            for (int j = 0; j < c.layersPerBlock() + 1; j++) {
                stage.resnets.add(new ResnetBlock(bp.child("resnets").child(Integer.toString(j)),
                        "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? previous : output, output, 0, groups, EPS, 1.0));
            }
            if (i < blocks - 1) {
                stage.resample = new Conv2d(bp.child("upsamplers").child("0").child("conv"), output, output, 3, 1, 1);
            }
            decStages.add(stage);
            previous = output;
        }
        this.decNorm = new GroupNorm(d.child("conv_norm_out"), groups, widths.get(0), EPS);
        this.decOut = new Conv2d(d.child("conv_out"), widths.get(0), c.outChannels(), 3, 1, 1);
    }

    public VaeConfig config() {
        return config;
    }

    /** Mean and standard deviation [B, latent, h/f, w/f] of the latent distribution of images in [-1, 1]. */
    public NDArray[] encode(NDArray image) {
        NDArray x = encIn.forward(image);
        for (Stage stage : encStages) {
            for (ResnetBlock r : stage.resnets) {
                x = r.forward(x, null, UNetHooks.NONE);
            }
            if (stage.resample != null) {
                // diffusers pads right and bottom by one before its unpadded stride-2 conv
                x = stage.resample.forward(x.pad(new Shape(0, 1, 0, 1), 0));
            }
        }
        x = encMid.forward(x);
        NDArray moments = quant.forward(encOut.forward(encNorm.forwardSilu(x)));
        long latent = config.latentChannels();
        NDArray mean = moments.get(":, :" + latent);
        NDArray logVariance = moments.get(":, " + latent + ":").clip(-30f, 20f);
        return new NDArray[] {mean, logVariance.mul(0.5f).exp()};
    }

    /** Images in [-1, 1] from latents (unscaled: divide sampled latents by the scaling factor first). */
    public NDArray decode(NDArray latents) {
        NDArray x = decMid.forward(decIn.forward(postQuant.forward(latents)));
        // each stage's output is closed once the next is made: the last stages' maps are hundreds of megabytes
        for (Stage stage : decStages) {
            for (ResnetBlock r : stage.resnets) {
                x = replace(x, r.forward(x, null, UNetHooks.NONE));
            }
            if (stage.resample != null) {
                NDArray larger = replace(x, Resize.nearest(x, 2 * x.getShape().get(2), 2 * x.getShape().get(3)));
                x = replace(larger, stage.resample.forward(larger));
            }
        }
        return decOut.forward(replace(x, decNorm.forwardSilu(x)));
    }

    /** {@code next}, with {@code previous} (an intermediate of the caller's) closed. */
    private static NDArray replace(NDArray previous, NDArray next) {
        previous.close();
        return next;
    }

    private static final class Stage {
        final List<ResnetBlock> resnets = new ArrayList<>();
        Conv2d resample;
    }

    /** ResNet, single-head self-attention over the feature map (when configured), ResNet. */
    private static final class Mid {
        private final ResnetBlock first;
        private final ResnetBlock second;
        private final GroupNorm norm;
        private final Linear q;
        private final Linear k;
        private final Linear v;
        private final Linear out;

        Mid(Parameters p, String name, long channels, int groups, boolean attention) {
            this.first = new ResnetBlock(p.child("resnets").child("0"), name + ".resnets.0", channels, channels, 0, groups, EPS, 1.0);
            if (attention) {
                Parameters a = p.child("attentions").child("0");
                this.norm = new GroupNorm(a.child("group_norm"), groups, channels, EPS);
                this.q = new Linear(a.child("to_q"), channels, channels, true);
                this.k = new Linear(a.child("to_k"), channels, channels, true);
                this.v = new Linear(a.child("to_v"), channels, channels, true);
                this.out = new Linear(a.child("to_out").child("0"), channels, channels, true);
            } else {
                this.norm = null;
                this.q = null;
                this.k = null;
                this.v = null;
                this.out = null;
            }
            this.second = new ResnetBlock(p.child("resnets").child("1"), name + ".resnets.1", channels, channels, 0, groups, EPS, 1.0);
        }

        NDArray forward(NDArray x) {
            x = first.forward(x, null, UNetHooks.NONE);
            if (norm != null) {
                Shape s = x.getShape();
                NDArray h = norm.forward(x).reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
                NDArray attended = out.forward(Attention.attend(q.forward(h), k.forward(h), v.forward(h), 1, null, null));
                x = attended.transpose(0, 2, 1).reshape(s).add(x);
            }
            return second.forward(x, null, UNetHooks.NONE);
        }
    }
}
