package org.editstream.tasks;

import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which tasks this job can make pairs for, and for each disabled task one line saying why. Decided once
 * at start-up from the capabilities found (models, tools) and the recipes that exist.
 */
public final class EnabledTasks implements Serializable {
    private static final long serialVersionUID = 1L;

    private final EnumSet<Task> enabled;
    private final EnumMap<Task, String> disabledWhy;

    private EnabledTasks(EnumSet<Task> enabled, EnumMap<Task, String> disabledWhy) {
        this.enabled = enabled;
        this.disabledWhy = disabledWhy;
    }

    /**
     * @param available capabilities present in this deployment
     * @param withRecipe tasks that have a recipe implementation
     */
    public static EnabledTasks decide(Set<Capability> available, Set<Task> withRecipe) {
        EnumSet<Task> enabled = EnumSet.noneOf(Task.class);
        EnumMap<Task, String> why = new EnumMap<>(Task.class);
        for (TaskDefinition def : TaskCatalogue.all()) {
            Set<Capability> missing = EnumSet.noneOf(Capability.class);
            missing.addAll(def.needs());
            missing.removeAll(available);
            if (!missing.isEmpty()) {
                why.put(def.task(), "needs " + missing.stream().map(Capability::description)
                        .collect(Collectors.joining(", ")) + ": not found");
            } else if (!withRecipe.contains(def.task())) {
                why.put(def.task(), "no recipe for this task in this build");
            } else {
                enabled.add(def.task());
            }
        }
        return new EnabledTasks(enabled, why);
    }

    public boolean isEnabled(Task task) {
        return enabled.contains(task);
    }

    public Set<Task> enabled() {
        return Collections.unmodifiableSet(enabled);
    }

    /** Disabled tasks, in catalogue order, with the reason of each. */
    public Map<Task, String> disabled() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(disabledWhy));
    }

    public String whyDisabled(Task task) {
        return disabledWhy.get(task);
    }
}
