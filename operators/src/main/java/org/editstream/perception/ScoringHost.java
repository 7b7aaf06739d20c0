package org.editstream.perception;

import ai.djl.ndarray.types.DataType;
import org.editstream.instruct.Agents;
import org.editstream.models.Batcher;
import org.editstream.models.Devices;
import org.editstream.models.clip.ClipModel;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The filter stage's models, loaded once per JVM and shared by every operator instance in it: CLIP (when a
 * model folder is configured) and the task predictor. Requests are grouped by a {@link Batcher} (up to
 * {@link #MAX_BATCH} pairs, waiting at most {@link #MAX_WAIT} for company), so CLIP embeds all images of a
 * batch in one pass and all captions in another.
 */
public final class ScoringHost {
    public static final int MAX_BATCH = 16;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, ScoringHost> HOSTS = new ConcurrentHashMap<>();

    /**
     * One pair to score. Captions may be null (no CLIP output or direction score then); images may be null on a
     * host without CLIP, which reads only the instruction.
     */
    public record Request(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption,
                          String instruction, Task task) {
    }

    /**
     * @param clip       the CLIP similarities, or null without a CLIP model
     * @param prediction the task predictor's reading of the instruction
     */
    public record Result(ClipScores.Pair clip, TaskPredictor.Prediction prediction) {
        /**
         * How far the predicted task leads the assigned one; when they agree, how far it leads the runner-up.
         */
        public double lead(Task assigned) {
            return prediction.task() == assigned ? prediction.margin()
                    : prediction.score(prediction.task()) - prediction.score(assigned);
        }
    }

    private final ClipScores clip;
    private final String clipId;
    private final TaskPredictor predictor;
    private final Batcher<Request, Result> batcher;

    private ScoringHost(ClipModel clipModel, String clipId, TaskPredictor predictor) {
        this.clip = clipModel == null ? null : new ClipScores(clipModel);
        this.clipId = clipId;
        this.predictor = predictor;
        this.batcher = new Batcher<>("scoring", MAX_BATCH, MAX_WAIT, r -> "pairs", this::run);
    }

    /** The host for a CLIP folder (null: task predictor only), loaded on first use. */
    public static ScoringHost forClip(Path clipFolder) {
        String key = clipFolder == null ? "" : clipFolder.toAbsolutePath().normalize().toString();
        return HOSTS.computeIfAbsent(key, k -> {
            TaskPredictor predictor = TaskPredictor.fromAgents(MiniLmSentences.shared(), Agents.bundled());
            if (k.isEmpty()) {
                return new ScoringHost(null, null, predictor);
            }
            Path folder = Path.of(k);
            return new ScoringHost(ClipModel.load(folder, Devices.named("auto"), DataType.FLOAT32),
                    "clip " + folder.getFileName(), predictor);
        });
    }

    public boolean hasClip() {
        return clip != null;
    }

    /** Model ids for the samples' records: the CLIP folder (when any) and the sentence embedder. */
    public List<String> modelIds() {
        List<String> ids = new ArrayList<>();
        if (clipId != null) {
            ids.add(clipId);
        }
        ids.add("task predictor " + predictor.embedderId());
        return ids;
    }

    public CompletableFuture<Result> score(Request request) {
        return batcher.submit(request);
    }

    public Batcher.Stats stats() {
        return batcher.stats();
    }

    private List<Result> run(List<Request> batch) {
        List<TaskPredictor.Prediction> predictions = predictor.predictAll(batch.stream().map(Request::instruction).toList());
        List<ClipScores.Pair> pairs = clip == null ? null : clip.scoreAll(batch.stream()
                .map(r -> new ClipScores.Item(r.input(), r.edited(), r.inputCaption(), r.outputCaption())).toList());
        List<Result> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(new Result(pairs == null ? null : pairs.get(i), predictions.get(i)));
        }
        return out;
    }
}
