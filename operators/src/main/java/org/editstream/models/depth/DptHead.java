package org.editstream.models.depth;

import ai.djl.ndarray.NDArray;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.BatchNorm2d;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.ConvTranspose2d;
import org.editstream.models.nn.Interpolate;
import org.editstream.models.nn.Linear;

import java.util.ArrayList;
import java.util.List;

/**
 * Depth Anything V2's DPT head (names under {@code depth_head.}): four backbone outputs reassembled into a pyramid at
 * 4x, 2x, 1x and 1/2x the patch grid (1x1 projections, then two transposed convolutions, an identity and a strided
 * convolution), each brought to the fusion width, fused from coarse to fine by residual blocks with 2x bilinear
 * upsampling (align_corners true), and a head that upsamples to the input size and ends in a ReLU: relative inverse
 * depth.
 */
final class DptHead {
    /** Width of the head's last hidden convolution, fixed in the reference. */
    private static final int HEAD_HIDDEN = 32;
    private static final double BATCH_NORM_EPS = 1e-5;

    private final List<Linear> readouts = new ArrayList<>();
    private final List<Conv2d> projects = new ArrayList<>();
    private final ConvTranspose2d resize0;
    private final ConvTranspose2d resize1;
    private final Conv2d resize3;
    private final List<Conv2d> layerRn = new ArrayList<>();
    private final List<Fusion> refine = new ArrayList<>();
    private final Conv2d outputConv1;
    private final Conv2d outputConv2a;
    private final Conv2d outputConv2b;
    private final List<Integer> outChannels;
    private final int patch;

    DptHead(Parameters p, long inChannels, DepthAnythingConfig c, int patch) {
        this.outChannels = c.outChannels();
        this.patch = patch;
        int features = c.features();
        for (int i = 0; i < 4; i++) {
            if (c.useClstoken()) {
                readouts.add(new Linear(p.child("readout_projects").child(Integer.toString(i)).child("0"), 2 * inChannels, inChannels, true));
            }
            projects.add(pointwise(p.child("projects").child(Integer.toString(i)), inChannels, outChannels.get(i)));
        }
        Parameters resize = p.child("resize_layers");
        this.resize0 = new ConvTranspose2d(resize.child("0"), outChannels.get(0), outChannels.get(0), 4, 4, 0, true);
        this.resize1 = new ConvTranspose2d(resize.child("1"), outChannels.get(1), outChannels.get(1), 2, 2, 0, true);
        this.resize3 = new Conv2d(resize.child("3"), outChannels.get(3), outChannels.get(3), 3, 2, 1, true);
        Parameters scratch = p.child("scratch");
        for (int i = 0; i < 4; i++) {
            layerRn.add(new Conv2d(scratch.child("layer" + (i + 1) + "_rn"), outChannels.get(i), features, 3, 1, 1, false));
        }
        for (int i = 0; i < 4; i++) {
            refine.add(new Fusion(scratch.child("refinenet" + (i + 1)), features, c.useBn()));
        }
        this.outputConv1 = new Conv2d(scratch.child("output_conv1"), features, features / 2, 3, 1, 1, true);
        this.outputConv2a = new Conv2d(scratch.child("output_conv2").child("0"), features / 2, HEAD_HIDDEN, 3, 1, 1, true);
        this.outputConv2b = new Conv2d(scratch.child("output_conv2").child("2"), HEAD_HIDDEN, 1, 1, 1, 0, true);
    }

    private static Conv2d pointwise(Parameters p, long in, long out) {
        return new Conv2d(p, in, out, 1, 1, 0, true);
    }

    /**
     * @param patchTokens the four outputs' patch tokens [B, rows*cols, C]
     * @param classTokens their class tokens [B, C] (read when the head has readout projections)
     * @return [B, 1, rows*patch, cols*patch], non-negative
     */
    NDArray forward(List<NDArray> patchTokens, List<NDArray> classTokens, long rows, long cols) {
        List<NDArray> levels = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            NDArray x = patchTokens.get(i);
            if (!readouts.isEmpty()) {
                NDArray readout = x.zerosLike().add(classTokens.get(i).expandDims(1));
                x = readouts.get(i).forward(x.concat(readout, -1), Activation.GELU);
            }
            long batch = x.getShape().get(0);
            x = x.transpose(0, 2, 1).reshape(batch, x.getShape().get(2), rows, cols);
            x = projects.get(i).forward(x);
            x = switch (i) {
                case 0 -> resize0.forward(x);
                case 1 -> resize1.forward(x);
                case 2 -> x;
                default -> resize3.forward(x);
            };
            levels.add(layerRn.get(i).forward(x));
        }
        NDArray path4 = refine.get(3).forward(levels.get(3), null, levels.get(2));
        NDArray path3 = refine.get(2).forward(path4, levels.get(2), levels.get(1));
        NDArray path2 = refine.get(1).forward(path3, levels.get(1), levels.get(0));
        NDArray path1 = refine.get(0).forward(path2, levels.get(0), null);
        NDArray out = Interpolate.bilinear(outputConv1.forward(path1), rows * patch, cols * patch, true);
        out = outputConv2a.forward(out).getNDArrayInternal().relu();
        return outputConv2b.forward(out).getNDArrayInternal().relu();
    }

    /** A fusion block: the skip through a residual unit added, a second residual unit, 2x (or to a size) upsampling, a 1x1 convolution. */
    private static final class Fusion {
        private final Residual unit1;
        private final Residual unit2;
        private final Conv2d outConv;

        Fusion(Parameters p, int features, boolean bn) {
            this.unit1 = new Residual(p.child("resConfUnit1"), features, bn);
            this.unit2 = new Residual(p.child("resConfUnit2"), features, bn);
            this.outConv = new Conv2d(p.child("out_conv"), features, features, 1, 1, 0, true);
        }

        /** @param skip the level's own features, or null; {@code sizeOf}: upsample to its size, or 2x when null */
        NDArray forward(NDArray x, NDArray skip, NDArray sizeOf) {
            NDArray out = skip == null ? x : x.add(unit1.forward(skip));
            out = unit2.forward(out);
            long h = sizeOf == null ? 2 * out.getShape().get(2) : sizeOf.getShape().get(2);
            long w = sizeOf == null ? 2 * out.getShape().get(3) : sizeOf.getShape().get(3);
            return outConv.forward(Interpolate.bilinear(out, h, w, true));
        }
    }

    /** relu, conv, (bn), relu, conv, (bn), plus the input. */
    private static final class Residual {
        private final Conv2d conv1;
        private final Conv2d conv2;
        private final BatchNorm2d bn1;
        private final BatchNorm2d bn2;

        Residual(Parameters p, int features, boolean bn) {
            this.conv1 = new Conv2d(p.child("conv1"), features, features, 3, 1, 1, true);
            this.conv2 = new Conv2d(p.child("conv2"), features, features, 3, 1, 1, true);
            this.bn1 = bn ? new BatchNorm2d(p.child("bn1"), features, BATCH_NORM_EPS) : null;
            this.bn2 = bn ? new BatchNorm2d(p.child("bn2"), features, BATCH_NORM_EPS) : null;
        }

        NDArray forward(NDArray x) {
            NDArray out = conv1.forward(x.getNDArrayInternal().relu());
            if (bn1 != null) {
                out = bn1.forward(out);
            }
            out = conv2.forward(out.getNDArrayInternal().relu());
            if (bn2 != null) {
                out = bn2.forward(out);
            }
            return out.add(x);
        }
    }
}
