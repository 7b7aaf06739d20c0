package org.editstream.filters;

import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How strict the filter stage is. CLIP minimums start from InstructPix2Pix's published values for the tasks a
 * diffusion model generates (their pairs can drift from the instruction; the deterministic recipes cannot) and
 * are overridden per task and metric; the pixel-change minimum has its own defaults ({@link PixelChangeFilter}).
 * With a DINO model, the DINO similarity minimum starts at UltraEdit's 0.4 for the generated tasks; with a depth
 * model, the structure distance has a maximum for the tasks that must keep the scene's layout
 * ({@link #STRUCTURE_DEFAULTS}). Both are overridden per task.
 *
 * @param clipMinimum       overrides of the CLIP minimums, per metric and task
 * @param minPixelChange    overrides of the pixel-change minimum, per task
 * @param minTaskLead       the task check's lead ({@link TaskCheck})
 * @param maxStructureL1    overrides of the structure maximum, per task
 * @param minDinoSimilarity overrides of the DINO similarity minimum, per task
 * @param minMaskArea       the least fraction of the image a region edit's mask may cover ({@link MaskAreaFilter})
 * @param maxMaskArea       the most
 * @param detectorCheck     whether add, remove and local samples go through the detector check when there is a
 *                          grounder ({@link DetectorCheckFilter})
 */
public record FilterSettings(Map<ScoreThreshold.Metric, Map<Task, Double>> clipMinimum, Map<Task, Double> minPixelChange,
                             double minTaskLead, Map<Task, Double> maxStructureL1, Map<Task, Double> minDinoSimilarity,
                             double minMaskArea, double maxMaskArea, boolean detectorCheck)
        implements Serializable {

    /** UltraEdit's DINO similarity filter (Zhao et al. 2024): at least 0.4. */
    public static final double DINO_MINIMUM = 0.4;

    /**
     * The structure maximums of the tasks whose edit must leave the scene's geometry as it was: the mean absolute
     * difference of the normalised depth maps. Starting points, not calibrated on a labelled set: a colour change or a
     * rendered text leaves the depth almost unchanged, a texture, a weather or light change, or a painting style
     * moves it more. Region tasks that add, remove or replace objects change the geometry on purpose and have none.
     */
    public static final Map<Task, Double> STRUCTURE_DEFAULTS = Map.of(
            Task.COLOR, 0.10, Task.TEXT, 0.10, Task.TEXTURE, 0.15, Task.GLOBAL, 0.20, Task.STYLE, 0.25);

    public static FilterSettings defaults() {
        return new FilterSettings(Map.of(), Map.of(), TaskCheck.DEFAULT_MIN_LEAD, Map.of(), Map.of(), MaskAreaFilter.DEFAULT_MIN,
                MaskAreaFilter.DEFAULT_MAX, true);
    }

    public FilterSettings withMinPixelChange(Map<Task, Double> value) {
        return new FilterSettings(clipMinimum, value, minTaskLead, maxStructureL1, minDinoSimilarity, minMaskArea, maxMaskArea, detectorCheck);
    }

    public FilterSettings withClipMinimum(Map<ScoreThreshold.Metric, Map<Task, Double>> value) {
        return new FilterSettings(value, minPixelChange, minTaskLead, maxStructureL1, minDinoSimilarity, minMaskArea, maxMaskArea, detectorCheck);
    }

    public FilterSettings withMinTaskLead(double value) {
        return new FilterSettings(clipMinimum, minPixelChange, value, maxStructureL1, minDinoSimilarity, minMaskArea, maxMaskArea, detectorCheck);
    }

    public FilterSettings withMaxStructureL1(Map<Task, Double> value) {
        return new FilterSettings(clipMinimum, minPixelChange, minTaskLead, value, minDinoSimilarity, minMaskArea, maxMaskArea, detectorCheck);
    }

    public FilterSettings withMinDinoSimilarity(Map<Task, Double> value) {
        return new FilterSettings(clipMinimum, minPixelChange, minTaskLead, maxStructureL1, value, minMaskArea, maxMaskArea, detectorCheck);
    }

    public FilterSettings withMaskArea(double min, double max) {
        new MaskAreaFilter(min, max); // the range's checks
        return new FilterSettings(clipMinimum, minPixelChange, minTaskLead, maxStructureL1, minDinoSimilarity, min, max, detectorCheck);
    }

    public FilterSettings withDetectorCheck(boolean value) {
        return new FilterSettings(clipMinimum, minPixelChange, minTaskLead, maxStructureL1, minDinoSimilarity, minMaskArea,
                maxMaskArea, value);
    }

    /** Whether the scoring stage runs the detector check: it is on and there is a grounder to run it with. */
    public boolean detectorCheckWith(boolean grounder) {
        return detectorCheck && grounder;
    }

    /** The structure maximum of each task it judges: the defaults, then the overrides. */
    public Map<Task, Double> structureLimits() {
        Map<Task, Double> limits = new EnumMap<>(Task.class);
        limits.putAll(STRUCTURE_DEFAULTS);
        limits.putAll(maxStructureL1);
        return limits;
    }

    /** The tasks whose samples need their structure distance (a depth pass over both images). */
    public Set<Task> structureTasks() {
        Set<Task> tasks = EnumSet.noneOf(Task.class);
        tasks.addAll(structureLimits().keySet());
        return tasks;
    }

    /**
     * The filters in the order they run: pixel change; the detector check (with a grounder, when on); mask area; then
     * with a CLIP model image, direction and output similarity for the generated tasks and for every task given an
     * override; with a DINO model the DINO minimum likewise; with a depth model the structure maximum.
     */
    public FilterChain chain(boolean withClip, boolean withDino, boolean withDepth, boolean withGrounder, Set<Task> generated) {
        List<Filter> filters = new ArrayList<>();
        filters.add(new PixelChangeFilter(minPixelChange));
        if (detectorCheckWith(withGrounder)) {
            filters.add(new DetectorCheckFilter()); // before the area: a pair without its object is no edit of any extent
        }
        filters.add(new MaskAreaFilter(minMaskArea, maxMaskArea));
        if (withClip) {
            for (ScoreThreshold.Metric metric : List.of(ScoreThreshold.Metric.CLIP_IMAGE, ScoreThreshold.Metric.CLIP_DIRECTION,
                    ScoreThreshold.Metric.CLIP_OUTPUT)) {
                Map<Task, Double> perTask = new EnumMap<>(Task.class);
                generated.forEach(t -> perTask.put(t, ScoreThreshold.INSTRUCT_PIX2PIX.get(metric)));
                perTask.putAll(clipMinimum.getOrDefault(metric, Map.of()));
                filters.add(new ScoreThreshold(metric, perTask));
            }
        }
        if (withDino) {
            Map<Task, Double> perTask = new EnumMap<>(Task.class);
            generated.forEach(t -> perTask.put(t, DINO_MINIMUM));
            perTask.putAll(minDinoSimilarity);
            filters.add(new ScoreThreshold(ScoreThreshold.Metric.DINO_SIMILARITY, perTask));
        }
        if (withDepth) {
            filters.add(new ScoreThreshold(ScoreThreshold.Metric.STRUCTURE_L1, structureLimits()));
        }
        return new FilterChain(filters);
    }

    public TaskCheck taskCheck() {
        return new TaskCheck(minTaskLead);
    }
}
