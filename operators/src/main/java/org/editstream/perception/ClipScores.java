package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Devices;
import org.editstream.models.clip.ClipModel;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CLIP metrics of an edit pair (InstructPix2Pix, Emu Edit): image similarity (input vs edited), output
 * similarity (edited image vs output caption), and direction similarity (the change in image space vs the
 * change in caption space, both as differences of normalised embeddings). Cosines in [-1, 1].
 */
public final class ClipScores {
    /** The three similarities; direction and output are NaN without captions. */
    public record Pair(double image, double output, double direction) {
    }

    private static final Map<String, ClipScores> SHARED = new ConcurrentHashMap<>();

    private final ClipModel clip;

    public ClipScores(ClipModel clip) {
        this.clip = clip;
    }

    /**
     * The scores of the CLIP model in {@code folder}, loaded once per JVM (on a GPU when DJL finds one) and shared by
     * the recipes that choose among candidates and the filters: a TaskManager holds one copy of its weights.
     */
    public static ClipScores forFolder(Path folder) {
        return ModelHost.perFolder(SHARED, folder, f -> new ClipScores(ClipModel.load(f, Devices.named("auto"), DataType.FLOAT32)));
    }

    /** One pair to score; the captions may be null (then output and direction are NaN). */
    public record Item(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption) {
        boolean hasCaptions() {
            return inputCaption != null && outputCaption != null;
        }
    }

    public Pair score(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption) {
        return scoreAll(List.of(new Item(input, edited, inputCaption, outputCaption))).get(0);
    }

    /** The pairs' scores, with all images in one forward pass and all captions in another. */
    public List<Pair> scoreAll(List<Item> items) {
        try (NDManager m = clip.manager().newSubManager()) {
            List<BufferedImage> images = new ArrayList<>();
            List<String> captions = new ArrayList<>();
            for (Item item : items) {
                images.add(item.input());
                images.add(item.edited());
                if (item.hasCaptions()) {
                    captions.add(item.inputCaption());
                    captions.add(item.outputCaption());
                }
            }
            NDArray imageEmbeddings = ClipModel.normalize(clip.imageFeatures(m, images));
            NDArray textEmbeddings = captions.isEmpty() ? null : ClipModel.normalize(clip.textFeatures(m, captions));
            List<Pair> out = new ArrayList<>(items.size());
            int text = 0;
            for (int i = 0; i < items.size(); i++) {
                NDArray in = imageEmbeddings.get(2 * i);
                NDArray edited = imageEmbeddings.get(2 * i + 1);
                double image = cosine(in, edited);
                if (!items.get(i).hasCaptions()) {
                    out.add(new Pair(image, Double.NaN, Double.NaN));
                    continue;
                }
                NDArray inText = textEmbeddings.get(text++);
                NDArray outText = textEmbeddings.get(text++);
                out.add(new Pair(image, cosine(edited, outText), cosine(edited.sub(in), outText.sub(inText))));
            }
            return out;
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
