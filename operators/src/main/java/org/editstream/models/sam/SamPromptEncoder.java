package org.editstream.models.sam;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Parameters;
import org.editstream.models.nn.Activation;
import org.editstream.models.nn.Conv2d;

/**
 * SAM's prompt encoder (names under {@code prompt_encoder.}). Points and box corners are encoded by random Fourier
 * features of their position (the stored Gaussian matrix), plus a learned embedding of what they are: a foreground or
 * background point, a box's top-left or bottom-right corner, or the padding point added when there is no box (which
 * has no position). A mask prompt is downscaled by convolutions to the dense embedding; without one the dense
 * embedding is the learned no-mask vector at every position.
 */
final class SamPromptEncoder {
    /** Rows of {@link #kinds}: padding, background, foreground, box top-left, box bottom-right. */
    private static final int PADDING = 0;
    private static final int BOX_TOP_LEFT = 3;
    private static final int BOX_BOTTOM_RIGHT = 4;

    private final SamConfig config;
    private final NDArray gaussian;
    /** [5, C]: not_a_point, point_embeddings 0..3. */
    private final NDArray kinds;
    /** The no-mask embedding [1, C, 1, 1]. */
    private final NDArray noMask;
    private final Conv2d down0;
    private final ChannelNorm down1;
    private final Conv2d down3;
    private final ChannelNorm down4;
    private final Conv2d down6;

    SamPromptEncoder(Parameters p, SamConfig c) {
        this.config = c;
        long dim = c.promptEmbedDim();
        this.gaussian = p.child("pe_layer").get("positional_encoding_gaussian_matrix", 2, dim / 2);
        NDArray notAPoint = p.child("not_a_point_embed").get("weight", 1, dim);
        NDArray[] points = new NDArray[4];
        for (int i = 0; i < 4; i++) {
            points[i] = p.child("point_embeddings").child(Integer.toString(i)).get("weight", 1, dim);
        }
        this.kinds = notAPoint == null ? null : notAPoint.concat(points[0], 0).concat(points[1], 0).concat(points[2], 0).concat(points[3], 0);
        NDArray noMaskEmbedding = p.child("no_mask_embed").get("weight", 1, dim);
        this.noMask = noMaskEmbedding == null ? null : noMaskEmbedding.reshape(1, dim, 1, 1);
        Parameters down = p.child("mask_downscaling");
        int chans = c.maskInChans();
        this.down0 = new Conv2d(down.child("0"), 1, chans / 4, 2, 2, 0, true);
        this.down1 = new ChannelNorm(down.child("1"), chans / 4);
        this.down3 = new Conv2d(down.child("3"), chans / 4, chans, 2, 2, 0, true);
        this.down4 = new ChannelNorm(down.child("4"), chans);
        this.down6 = new Conv2d(down.child("6"), chans, dim, 1, 1, 0, true);
    }

    /**
     * The sparse embeddings [1, tokens, C] of one prompt, in {@code m}: its points, then the padding point when there
     * is no box, then the box's two corners.
     *
     * @param points x, y pairs in the encoder's input pixels (after the resize), or null
     * @param labels per point: 1 foreground, 0 background
     * @param box    x0, y0, x1, y1 in the encoder's input pixels, or null
     */
    NDArray sparse(NDManager m, float[][] points, int[] labels, float[] box) {
        int n = points == null ? 0 : points.length;
        boolean pad = box == null;
        int tokens = n + (pad ? 1 : 0) + (box == null ? 0 : 2);
        float[] coords = new float[tokens * 2];
        float[] positioned = new float[tokens];
        float[] oneHot = new float[tokens * 5];
        int t = 0;
        for (int i = 0; i < n; i++, t++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("point labels are 1 (foreground) or 0 (background), not " + labels[i]);
            }
            coords[2 * t] = points[i][0] + 0.5f; // the centre of the pixel
            coords[2 * t + 1] = points[i][1] + 0.5f;
            positioned[t] = 1;
            oneHot[5 * t + 1 + labels[i]] = 1;
        }
        if (pad) {
            oneHot[5 * t + PADDING] = 1; // no position: only the not-a-point embedding
            t++;
        }
        if (box != null) {
            for (int corner = 0; corner < 2; corner++, t++) {
                coords[2 * t] = box[2 * corner] + 0.5f;
                coords[2 * t + 1] = box[2 * corner + 1] + 0.5f;
                positioned[t] = 1;
                oneHot[5 * t + (corner == 0 ? BOX_TOP_LEFT : BOX_BOTTOM_RIGHT)] = 1;
            }
        }
        float size = config.imageSize();
        for (int i = 0; i < coords.length; i++) {
            coords[i] /= size;
        }
        NDArray encoded = fourier(m.create(coords, new Shape(1, tokens, 2)));
        return encoded.mul(m.create(positioned, new Shape(1, tokens, 1)))
                .add(m.create(oneHot, new Shape(1, tokens, 5)).matMul(kinds));
    }

    /** The dense embedding [1, C, side, side]: of a mask prompt [1, 1, 4*side, 4*side] (logits), or the no-mask one when null. */
    NDArray dense(NDManager m, NDArray mask) {
        int side = config.embeddingSide();
        if (mask == null) {
            return m.zeros(new Shape(1, config.promptEmbedDim(), side, side)).add(noMask);
        }
        NDArray x = Activation.gelu(down1.forward(down0.forward(mask)));
        x = Activation.gelu(down4.forward(down3.forward(x)));
        return down6.forward(x);
    }

    /** The positional encoding of the image embedding's grid [1, C, side, side] (pixel centres over the grid). */
    NDArray imagePositions(NDManager m) {
        int side = config.embeddingSide();
        float[] coords = new float[side * side * 2];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                coords[2 * (y * side + x)] = (x + 0.5f) / side;
                coords[2 * (y * side + x) + 1] = (y + 0.5f) / side;
            }
        }
        return fourier(m.create(coords, new Shape(side, side, 2))).transpose(2, 0, 1).expandDims(0);
    }

    /** sin and cos of 2 pi (2 c - 1) G for coordinates c in [0, 1]^2 [..., 2]: [..., C]. */
    private NDArray fourier(NDArray coords) {
        NDArray projected = coords.mul(2).sub(1).matMul(gaussian).mul((float) (2 * Math.PI));
        return projected.sin().concat(projected.cos(), -1);
    }
}
