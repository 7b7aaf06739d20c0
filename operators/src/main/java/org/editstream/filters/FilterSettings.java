package org.editstream.filters;

import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How strict the filter stage is. CLIP minimums start from InstructPix2Pix's published values for the tasks a
 * diffusion model generates (their pairs can drift from the instruction; the deterministic recipes cannot) and
 * are overridden per task and metric; the pixel-change minimum has its own defaults ({@link PixelChangeFilter}).
 *
 * @param clipMinimum    overrides of the CLIP minimums, per metric and task
 * @param minPixelChange overrides of the pixel-change minimum, per task
 * @param minTaskLead    the task check's lead ({@link TaskCheck})
 */
public record FilterSettings(Map<ScoreThreshold.Metric, Map<Task, Double>> clipMinimum, Map<Task, Double> minPixelChange,
                             double minTaskLead) implements Serializable {

    public static FilterSettings defaults() {
        return new FilterSettings(Map.of(), Map.of(), TaskCheck.DEFAULT_MIN_LEAD);
    }

    public FilterSettings withMinPixelChange(Map<Task, Double> value) {
        return new FilterSettings(clipMinimum, value, minTaskLead);
    }

    public FilterSettings withClipMinimum(Map<ScoreThreshold.Metric, Map<Task, Double>> value) {
        return new FilterSettings(value, minPixelChange, minTaskLead);
    }

    public FilterSettings withMinTaskLead(double value) {
        return new FilterSettings(clipMinimum, minPixelChange, value);
    }

    /**
     * The filters in the order they run: pixel change, then (with a CLIP model) image, direction and output
     * similarity for the generated tasks and for every task given an override.
     */
    public FilterChain chain(boolean withClip, Set<Task> generated) {
        List<Filter> filters = new ArrayList<>();
        filters.add(new PixelChangeFilter(minPixelChange));
        if (withClip) {
            for (ScoreThreshold.Metric metric : List.of(ScoreThreshold.Metric.CLIP_IMAGE, ScoreThreshold.Metric.CLIP_DIRECTION,
                    ScoreThreshold.Metric.CLIP_OUTPUT)) {
                Map<Task, Double> perTask = new EnumMap<>(Task.class);
                generated.forEach(t -> perTask.put(t, ScoreThreshold.INSTRUCT_PIX2PIX.get(metric)));
                perTask.putAll(clipMinimum.getOrDefault(metric, Map.of()));
                filters.add(new ScoreThreshold(metric, perTask));
            }
        }
        return new FilterChain(filters);
    }

    public TaskCheck taskCheck() {
        return new TaskCheck(minTaskLead);
    }
}
