package org.editstream.filters;

import org.editstream.schema.EditSample;
import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * UltraEdit's mask-area filter: a region edit whose mask covers almost none of the image (a grounding that caught a
 * speck) or almost all of it (one that caught the scene) is not the edit its instruction names. Judges the tasks whose
 * mask is an object's region; a sample without a mask area passes.
 */
public final class MaskAreaFilter implements Filter, Serializable {
    private static final long serialVersionUID = 1L;

    /** UltraEdit's range (Zhao et al. 2024): 1% to 90% of the image. */
    public static final double DEFAULT_MIN = 0.01;
    public static final double DEFAULT_MAX = 0.90;
    /** The tasks whose mask is the grounded object's region (detect's mask is its boxes' outlines). */
    public static final Set<Task> JUDGED = EnumSet.of(Task.LOCAL, Task.REMOVE, Task.ADD, Task.TEXTURE, Task.BACKGROUND,
            Task.SEGMENT);

    private final double min;
    private final double max;

    public MaskAreaFilter(double min, double max) {
        if (!(min >= 0 && min <= max && max <= 1)) {
            throw new IllegalArgumentException("the mask area range must satisfy 0 <= min <= max <= 1, got " + min + ", " + max);
        }
        this.min = min;
        this.max = max;
    }

    @Override
    public String name() {
        return "FILTER_MASK_AREA";
    }

    @Override
    public Optional<String> failure(EditSample sample) {
        Float area = sample.getScores().getMaskArea();
        if (area == null || !JUDGED.contains(sample.getTask())) {
            return Optional.empty();
        }
        if (area < min) {
            return Optional.of(String.format(Locale.ROOT, "%.4f < %.4f of the image", area, min));
        }
        return area > max ? Optional.of(String.format(Locale.ROOT, "%.4f > %.4f of the image", area, max)) : Optional.empty();
    }
}
