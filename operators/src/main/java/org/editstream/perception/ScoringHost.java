package org.editstream.perception;

import ai.djl.ndarray.types.DataType;
import org.editstream.instruct.Agents;
import org.editstream.models.Batcher;
import org.editstream.models.Devices;
import org.editstream.models.dino.DinoModel;
import org.editstream.imaging.DepthMap;
import org.editstream.imaging.Images;
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
 * The filter stage's models, loaded once per JVM and shared by every operator instance in it: CLIP, DINOv2 and the
 * depth model (each when its folder is configured) and the task predictor. Requests are grouped by a {@link Batcher}
 * (up to {@link #MAX_BATCH} pairs, waiting at most {@link #MAX_WAIT} for company), so CLIP embeds all images of a
 * batch in one pass and all captions in another, and DINOv2 all images in one pass; depth maps go through the JVM's
 * {@link DepthHost}, only for the requests that ask for their structure distance.
 */
public final class ScoringHost {
    public static final int MAX_BATCH = 16;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, ScoringHost> HOSTS = new ConcurrentHashMap<>();

    /**
     * One pair to score. Captions may be null (no CLIP output or direction score then); images may be null on a
     * host without image models ({@link #readsImages()}), which reads only the instruction.
     *
     * @param structure whether to measure the structure distance (with a depth model)
     */
    public record Request(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption,
                          String instruction, Task task, boolean structure) {
        public Request(BufferedImage input, BufferedImage edited, String inputCaption, String outputCaption, String instruction, Task task) {
            this(input, edited, inputCaption, outputCaption, instruction, task, false);
        }
    }

    /** The model folders of a host; any may be null. */
    public record Models(Path clip, Path depth, Path dino) {
        public static Models none() {
            return new Models(null, null, null);
        }

        String key() {
            return String.join("|", name(clip), name(depth), name(dino));
        }

        private static String name(Path p) {
            return p == null ? "" : p.toAbsolutePath().normalize().toString();
        }
    }

    /**
     * @param clip           the CLIP similarities, or null without a CLIP model
     * @param prediction     the task predictor's reading of the instruction
     * @param dinoSimilarity the DINO similarity of input and edited image, or null without a DINO model
     * @param structureL1    the structure distance, or null when not asked for or without a depth model
     */
    public record Result(ClipScores.Pair clip, TaskPredictor.Prediction prediction, Double dinoSimilarity, Double structureL1) {
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
    private final DinoModel dino;
    private final String dinoId;
    private final DepthHost depth;
    private final TaskPredictor predictor;
    private final Batcher<Request, Result> batcher;

    private ScoringHost(Models models, TaskPredictor predictor) {
        this.clip = models.clip() == null ? null : ClipScores.forFolder(models.clip());
        this.clipId = models.clip() == null ? null : "clip " + models.clip().getFileName();
        this.dino = models.dino() == null ? null : DinoModel.load(models.dino(), Devices.named("auto"), DataType.FLOAT32);
        this.dinoId = models.dino() == null ? null : "dinov2 " + models.dino().getFileName();
        this.depth = models.depth() == null ? null : DepthHost.forFolder(models.depth());
        this.predictor = predictor;
        this.batcher = new Batcher<>("scoring", MAX_BATCH, MAX_WAIT, r -> "pairs", this::run);
    }

    /** The host for these model folders (all null: task predictor only), loaded on first use. */
    public static ScoringHost forModels(Models models) {
        return HOSTS.computeIfAbsent(models.key(), k -> new ScoringHost(models,
                TaskPredictor.fromAgents(MiniLmSentences.shared(), Agents.bundled())));
    }

    public boolean hasClip() {
        return clip != null;
    }

    public boolean hasDepth() {
        return depth != null;
    }

    /** Whether any of the host's models reads the images (else requests may leave them null). */
    public boolean readsImages() {
        return clip != null || dino != null || depth != null;
    }

    /** Model ids for the samples' records: the image models (when any) and the sentence embedder. */
    public List<String> modelIds() {
        List<String> ids = new ArrayList<>();
        if (clipId != null) {
            ids.add(clipId);
        }
        if (dinoId != null) {
            ids.add(dinoId);
        }
        if (depth != null) {
            ids.add(depth.id());
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
        double[] dinoSimilarity = dino == null ? null
                : dino.similarity(batch.stream().map(Request::input).toList(), batch.stream().map(Request::edited).toList());
        List<CompletableFuture<Double>> structure = new ArrayList<>(batch.size());
        for (Request r : batch) {
            structure.add(depth == null || !r.structure() ? CompletableFuture.completedFuture(null) : structureL1(r));
        }
        List<Result> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(new Result(pairs == null ? null : pairs.get(i), predictions.get(i),
                    dinoSimilarity == null ? null : dinoSimilarity[i], Batcher.await(structure.get(i))));
        }
        return out;
    }

    /** The structure distance of a pair: its images' depth maps, the edited one at the input's size. */
    private CompletableFuture<Double> structureL1(Request r) {
        BufferedImage edited = r.edited().getWidth() == r.input().getWidth() && r.edited().getHeight() == r.input().getHeight()
                ? r.edited() : Images.resized(r.edited(), r.input().getWidth(), r.input().getHeight());
        return depth.estimate(r.input()).thenCombine(depth.estimate(edited), DepthMap::l1);
    }

}
