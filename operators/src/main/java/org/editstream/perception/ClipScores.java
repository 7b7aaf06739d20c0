package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.editstream.models.clip.ClipModel;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * The CLIP metrics of an edit pair (InstructPix2Pix, Emu Edit): image similarity (input vs edited), output
 * similarity (edited image vs output caption), and direction similarity (the change in image space vs the
 * change in caption space, both as differences of normalised embeddings). Cosines in [-1, 1].
 */
public final class ClipScores {
    /** The three similarities; direction and output are NaN without captions. */
    public record Pair(double image, double output, double direction) {
    }

    private final ClipModel clip;

    public ClipScores(ClipModel clip) {
        this.clip = clip;
    }

    /** @param inputCaption and {@code outputCaption} may be null (then output and direction are NaN) */
    public Pair score(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption) {
        try (NDManager m = clip.manager().newSubManager()) {
            NDArray images = ClipModel.normalize(clip.imageFeatures(m, List.of(input, edited)));
            NDArray in = images.get(0);
            NDArray out = images.get(1);
            double image = cosine(in, out);
            if (inputCaption == null || outputCaption == null) {
                return new Pair(image, Double.NaN, Double.NaN);
            }
            NDArray texts = ClipModel.normalize(clip.textFeatures(m, List.of(inputCaption, outputCaption)));
            double output = cosine(out, texts.get(1));
            double direction = cosine(out.sub(in), texts.get(1).sub(texts.get(0)));
            return new Pair(image, output, direction);
        }
    }

    /** Index of the candidate whose edited image is closest to the output caption (best-of-N by CLIP). */
    public int bestByOutput(List<BufferedImage> candidates, String outputCaption) {
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates to choose from");
        }
        try (NDManager m = clip.manager().newSubManager()) {
            NDArray images = ClipModel.normalize(clip.imageFeatures(m, candidates));
            NDArray text = ClipModel.normalize(clip.textFeatures(m, List.of(outputCaption)));
            float[] similarity = images.matMul(text.transpose()).toFloatArray();
            int best = 0;
            for (int i = 1; i < similarity.length; i++) {
                if (similarity[i] > similarity[best]) {
                    best = i;
                }
            }
            return best;
        }
    }

    static double cosine(NDArray a, NDArray b) {
        double dot = a.mul(b).sum().getFloat();
        double norms = a.norm().getFloat() * (double) b.norm().getFloat();
        return norms == 0 ? 0 : dot / norms;
    }
}
