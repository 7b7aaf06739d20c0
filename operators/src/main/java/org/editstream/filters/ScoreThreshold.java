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
 * A minimum on one score of the sample, per task: tasks without a threshold are not judged by it; a judged
 * sample without the score is rejected as unscored. The CLIP filters are instances of this one class.
 */
public final class ScoreThreshold implements Filter, Serializable {
    private static final long serialVersionUID = 1L;

    /** Which score a threshold reads. */
    public enum Metric {
        CLIP_DIRECTION("FILTER_CLIP_DIR"),
        CLIP_IMAGE("FILTER_CLIP_IMG"),
        CLIP_OUTPUT("FILTER_CLIP_OUT");

        final String filterName;

        Metric(String filterName) {
            this.filterName = filterName;
        }

        Float of(Scores s) {
            return switch (this) {
                case CLIP_DIRECTION -> s.getClipDirection();
                case CLIP_IMAGE -> s.getClipImage();
                case CLIP_OUTPUT -> s.getClipOutput();
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
    private final EnumMap<Task, Double> minimum;

    public ScoreThreshold(Metric metric, Map<Task, Double> perTask) {
        this.metric = metric;
        this.minimum = perTask.isEmpty() ? new EnumMap<>(Task.class) : new EnumMap<>(perTask);
    }

    /** The metric's InstructPix2Pix threshold for each of these tasks. */
    public static ScoreThreshold instructPix2Pix(Metric metric, Iterable<Task> tasks) {
        Map<Task, Double> perTask = new EnumMap<>(Task.class);
        tasks.forEach(t -> perTask.put(t, INSTRUCT_PIX2PIX.get(metric)));
        return new ScoreThreshold(metric, perTask);
    }

    /** The minimum per judged task. */
    public Map<Task, Double> minimum() {
        return java.util.Collections.unmodifiableMap(minimum);
    }

    @Override
    public String name() {
        return metric.filterName;
    }

    @Override
    public Optional<String> failure(EditSample sample) {
        Double min = minimum.get(sample.getTask());
        if (min == null) {
            return Optional.empty();
        }
        Float score = sample.getScores() == null ? null : metric.of(sample.getScores());
        if (score == null || score.isNaN()) {
            return Optional.of("not scored (threshold " + min + ")");
        }
        return score < min ? Optional.of(String.format(Locale.ROOT, "%.2f < %.2f", score, min)) : Optional.empty();
    }
}
