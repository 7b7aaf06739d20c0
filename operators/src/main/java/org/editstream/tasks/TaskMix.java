package org.editstream.tasks;

import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The weighted mix of tasks the job assigns captions to. Weights are relative; a task with weight 0
 * is never assigned. Parsed from "color=2,sketch=1,text=1" (tasks not named get weight 0) or "uniform".
 */
public final class TaskMix implements Serializable {
    private static final long serialVersionUID = 1L;

    private final EnumMap<Task, Double> weights;

    private TaskMix(EnumMap<Task, Double> weights) {
        this.weights = weights;
    }

    /** Every task with weight 1. */
    public static TaskMix uniform() {
        EnumMap<Task, Double> w = new EnumMap<>(Task.class);
        for (Task task : Task.values()) {
            w.put(task, 1.0);
        }
        return new TaskMix(w);
    }

    public static TaskMix of(Map<Task, Double> weights) {
        EnumMap<Task, Double> w = new EnumMap<>(Task.class);
        for (Task task : Task.values()) {
            double value = weights.getOrDefault(task, 0.0);
            if (!(value >= 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("task weight for " + TaskCatalogue.nameOf(task)
                        + " must be a finite number >= 0, got " + value);
            }
            w.put(task, value);
        }
        return new TaskMix(w);
    }

    /** Parses "uniform" or "name=weight,name=weight". */
    public static TaskMix parse(String spec) {
        if (spec == null || spec.isBlank() || spec.strip().equalsIgnoreCase("uniform")) {
            return uniform();
        }
        Map<Task, Double> w = new EnumMap<>(Task.class);
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            Task task = TaskCatalogue.byName(kv[0]).orElseThrow(() -> new IllegalArgumentException(
                    "unknown task '" + kv[0].strip() + "' in task mix '" + spec + "'; tasks are "
                            + TaskCatalogue.all().stream().map(TaskDefinition::name).collect(Collectors.joining(", "))));
            double value;
            try {
                value = kv.length == 2 ? Double.parseDouble(kv[1].strip()) : 1.0;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("weight of " + kv[0].strip() + " in task mix '" + spec
                        + "' is not a number: '" + kv[1].strip() + "'");
            }
            w.put(task, value);
        }
        return of(w);
    }

    public double weight(Task task) {
        return weights.get(task);
    }

    @Override
    public String toString() {
        return weights.entrySet().stream().filter(e -> e.getValue() > 0)
                .map(e -> TaskCatalogue.nameOf(e.getKey()) + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }
}
