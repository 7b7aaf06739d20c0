package org.editstream.tasks;

import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Assigns a validated caption to a task: the caption's hint when that task is enabled, otherwise a weighted
 * draw over the enabled tasks of the mix, deterministic from the caption's seed.
 */
public final class TaskAssigner implements Serializable {
    private static final long serialVersionUID = 1L;

    private final EnabledTasks enabled;
    private final TaskMix mix;

    public TaskAssigner(EnabledTasks enabled, TaskMix mix) {
        this.enabled = enabled;
        this.mix = mix;
    }

    /** The tasks that can be drawn: enabled and with a positive weight. */
    public List<Task> candidates() {
        List<Task> result = new ArrayList<>();
        for (Task task : Task.values()) {
            if (enabled.isEnabled(task) && mix.weight(task) > 0) {
                result.add(task);
            }
        }
        return result;
    }

    public Task assign(CaptionEvent caption, long seed) throws Refusal {
        if (caption.getTaskHint() != null && !caption.getTaskHint().isBlank()) {
            Task hinted = TaskCatalogue.byName(caption.getTaskHint()).orElseThrow(() -> new Refusal(
                    Reason.UNKNOWN_TASK_HINT, "task hint '" + caption.getTaskHint() + "' names no task"));
            if (!enabled.isEnabled(hinted)) {
                throw new Refusal(Reason.TASK_DISABLED, "hinted task " + TaskCatalogue.nameOf(hinted)
                        + " is disabled: " + enabled.whyDisabled(hinted));
            }
            return hinted;
        }
        List<Task> candidates = candidates();
        if (candidates.isEmpty()) {
            throw new Refusal(Reason.NO_ELIGIBLE_TASK, "no enabled task has a positive weight in the mix " + mix);
        }
        double total = 0;
        for (Task task : candidates) {
            total += mix.weight(task);
        }
        SplittableRandom random = Seeds.random(seed, "assign");
        double u = random.nextDouble() * total;
        for (Task task : candidates) {
            u -= mix.weight(task);
            if (u < 0) {
                return task;
            }
        }
        return candidates.get(candidates.size() - 1);
    }
}
