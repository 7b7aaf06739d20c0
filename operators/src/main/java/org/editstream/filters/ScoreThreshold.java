package org.editstream.filters;

import org.editstream.schema.EditSample;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A limit on one score of the sample, per task: a minimum, or for a distance (the structure filter's) a maximum. Tasks
 * without a limit are not judged by it; a judged sample without the score is rejected as unscored. The CLIP, DINO and
 * structure filters are instances of this one class.
 */
public final class ScoreThreshold implements Filter, Serializable {
    private static final long serialVersionUID = 1L;

    /** Which score a threshold reads. */
    public enum Metric {
        CLIP_DIRECTION("FILTER_CLIP_DIR", false),
        CLIP_IMAGE("FILTER_CLIP_IMG", false),
        CLIP_OUTPUT("FILTER_CLIP_OUT", false),
        /** Cosine of the DINOv2 class tokens of input and edited image. */
        DINO_SIMILARITY("FILTER_DINO", false),
        /** L1 distance of the normalised depth maps of input and edited image: a maximum. */
        STRUCTURE_L1("FILTER_STRUCTURE", true);

        final String filterName;
        final boolean maximum;

        Metric(String filterName, boolean maximum) {
            this.filterName = filterName;
            this.maximum = maximum;
        }

        /** Whether the limit is a maximum (a distance) rather than a minimum. */
        public boolean isMaximum() {
            return maximum;
        }

        Float of(Scores s) {
            return switch (this) {
                case CLIP_DIRECTION -> s.getClipDirection();
                case CLIP_IMAGE -> s.getClipImage();
                case CLIP_OUTPUT -> s.getClipOutput();
                case DINO_SIMILARITY -> s.getDinoSimilarity();
                case STRUCTURE_L1 -> s.getStructureL1();
            };
        }
    }

    /**
     * InstructPix2Pix's published filter (Brooks et al. 2023, section 3.1.3): CLIP image similarity >= 0.75,
     * directional similarity >= 0.2, image-caption similarity >= 0.2. Emu Edit tunes per task; these are
     * the starting point for every generated task and are configurable per task.
     */
    public static final Map<Metric, Double> INSTRUCT_PIX2PIX = Map.of(
            Metric.CLIP_IMAGE, 0.75, Metric.CLIP_DIRECTION, 0.2, Metric.CLIP_OUTPUT, 0.2);

    private final Metric metric;
    private final EnumMap<Task, Double> limit;

    public ScoreThreshold(Metric metric, Map<Task, Double> perTask) {
        this.metric = metric;
        this.limit = perTask.isEmpty() ? new EnumMap<>(Task.class) : new EnumMap<>(perTask);
    }

    /** The metric's InstructPix2Pix threshold for each of these tasks. */
    public static ScoreThreshold instructPix2Pix(Metric metric, Iterable<Task> tasks) {
        Map<Task, Double> perTask = new EnumMap<>(Task.class);
        tasks.forEach(t -> perTask.put(t, INSTRUCT_PIX2PIX.get(metric)));
        return new ScoreThreshold(metric, perTask);
    }

    /** The limit (a minimum, or a maximum for {@link Metric#isMaximum()}) per judged task. */
    public Map<Task, Double> limits() {
        return java.util.Collections.unmodifiableMap(limit);
    }

    @Override
    public String name() {
        return metric.filterName;
    }

    @Override
    public Optional<String> failure(EditSample sample) {
        Double bound = limit.get(sample.getTask());
        if (bound == null) {
            return Optional.empty();
        }
        Float score = sample.getScores() == null ? null : metric.of(sample.getScores());
        if (score == null || score.isNaN()) {
            return Optional.of("not scored (threshold " + bound + ")");
        }
        if (metric.maximum) {
            return score > bound ? Optional.of(String.format(Locale.ROOT, "%.3f > %.3f", score, bound)) : Optional.empty();
        }
        return score < bound ? Optional.of(String.format(Locale.ROOT, "%.2f < %.2f", score, bound)) : Optional.empty();
    }
}
