package org.editstream.filters;

import org.editstream.schema.EditSample;
import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Rejects pairs whose edited image barely differs from the input (mean absolute pixel difference, 0..1):
 * an edit nobody can see teaches the model to ignore instructions. Thresholds per task: whole-image edits
 * must change more than local ones (text covers a few percent of the image).
 */
public final class PixelChangeFilter implements Filter, Serializable {
    private static final long serialVersionUID = 1L;

    /** Default minimum change for tasks without their own threshold. */
    public static final double DEFAULT_MIN = 0.01;
    /** Defaults per task: text edits touch only the words' boxes. */
    public static final Map<Task, Double> DEFAULTS = Map.of(Task.TEXT, 0.0005);

    private final EnumMap<Task, Double> minimum;

    public PixelChangeFilter(Map<Task, Double> perTask) {
        this.minimum = new EnumMap<>(Task.class);
        for (Task task : Task.values()) {
            minimum.put(task, perTask.getOrDefault(task, DEFAULTS.getOrDefault(task, DEFAULT_MIN)));
        }
    }

    public static PixelChangeFilter withDefaults() {
        return new PixelChangeFilter(Map.of());
    }

    @Override
    public String name() {
        return "FILTER_PIXEL_L1";
    }

    @Override
    public Optional<String> failure(EditSample sample) {
        Float l1 = sample.getScores().getPixelL1();
        double min = minimum.get(sample.getTask());
        if (l1 == null) {
            return Optional.of("no pixel L1 score");
        }
        return l1 < min ? Optional.of(String.format(Locale.ROOT, "%.5f < %.5f", l1, min)) : Optional.empty();
    }
}
