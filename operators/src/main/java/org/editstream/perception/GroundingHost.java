package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Devices;
import org.editstream.models.gdino.BertTokenizer;
import org.editstream.models.gdino.GroundingDino;
import org.editstream.models.gdino.GroundingDinoProcessor;
import org.editstream.models.gdino.GroundingText;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Grounding DINO per JVM and folder ({@link ModelHost}). A request is an image, a caption of phrases and the box and
 * text thresholds; the requests of a batch (same thresholds) go through the model in one pass, their images padded to
 * the batch's largest and their captions to the longest.
 */
public final class GroundingHost extends ModelHost<GroundingHost.Request, GroundingHost.Found> {
    public static final int MAX_BATCH = 4;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, GroundingHost> HOSTS = new ConcurrentHashMap<>();

    /**
     * One image and the caption to ground in it ("a cat. a remote control.", {@link GroundingText#caption}), with the
     * post-processing thresholds.
     */
    public record Request(BufferedImage image, String caption, float boxThreshold, float textThreshold) {
    }

    /**
     * @param boxes        the boxes above the box threshold, in the image's pixels, in query order (the reference's
     *                     post-processing over the whole caption)
     * @param bestScore    the best score of any query, also when none passed
     * @param phraseScores per phrase of the caption ({@link GroundingText#phraseSpans}), each query's score for it
     *                     ({@link GroundingDino#phraseScores})
     * @param corners      each query's box as corners in the image's pixels
     */
    public record Found(List<GroundingDino.Box> boxes, double bestScore, float[][] phraseScores, float[][] corners) {
        public Found {
            boxes = List.copyOf(boxes);
        }
    }

    private final GroundingDino model;
    private final GroundingDinoProcessor processor;
    private final BertTokenizer tokenizer;

    private GroundingHost(GroundingDino model, GroundingDinoProcessor processor, BertTokenizer tokenizer, String id) {
        super(id, "grounding", MAX_BATCH, MAX_WAIT, r -> r.boxThreshold() + "/" + r.textThreshold());
        this.model = model;
        this.processor = processor;
        this.tokenizer = tokenizer;
    }

    /** The host of a Grounding DINO folder (the Hugging Face layout), loaded on first use. */
    public static GroundingHost forFolder(Path folder) {
        return perFolder(HOSTS, folder, f -> new GroundingHost(GroundingDino.load(f, Devices.named("auto"), DataType.FLOAT32),
                GroundingDinoProcessor.load(f), BertTokenizer.load(f), "grounding-dino " + f.getFileName()));
    }

    /** {@link #submit}, waiting for its batch; a model failure is rethrown as it was thrown. */
    public Found groundNow(Request request) {
        return await(request);
    }

    @Override
    List<Found> run(List<Request> batch) {
        try (NDManager m = model.manager().newSubManager()) {
            GroundingDinoProcessor.Pixels pixels = processor.pixels(m, batch.stream().map(Request::image).toList());
            GroundingText text = GroundingText.of(tokenizer, batch.stream().map(Request::caption).toList())
                    .truncated(model.config().maxTextLen());
            GroundingDino.Detection detection = model.detect(model.encode(pixels.values(), pixels.mask(), text));
            float[] best = detection.logits().max(new int[] {-1}).getNDArrayInternal().sigmoid().toFloatArray();
            int queries = model.config().numQueries();
            List<Found> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                Request r = batch.get(i);
                NDArray logits = detection.logits().get(i);
                List<GroundingDino.Box> boxes = GroundingDino.boxes(logits, detection.boxes().get(i), text.ids()[i],
                        r.boxThreshold(), r.textThreshold(), r.image().getHeight(), r.image().getWidth(), tokenizer);
                double bestScore = 0;
                for (int q = 0; q < queries; q++) {
                    bestScore = Math.max(bestScore, best[i * queries + q]);
                }
                List<int[]> spans = GroundingText.phraseSpans(tokenizer, text.ids()[i]);
                float[][] phraseScores = new float[spans.size()][];
                for (int p = 0; p < spans.size(); p++) {
                    phraseScores[p] = GroundingDino.phraseScores(logits, spans.get(p)[0], spans.get(p)[1]);
                }
                float[] normalised = detection.boxes().get(i).toFloatArray();
                float[][] corners = new float[queries][];
                for (int q = 0; q < queries; q++) {
                    corners[q] = GroundingDino.corners(normalised, q, r.image().getHeight(), r.image().getWidth());
                }
                out.add(new Found(boxes, bestScore, phraseScores, corners));
            }
            return out;
        }
    }
}
