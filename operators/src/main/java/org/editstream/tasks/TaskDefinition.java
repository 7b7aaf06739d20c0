package org.editstream.tasks;

import org.editstream.schema.Task;

import java.util.Set;

/** One row of the task catalogue: what the task is and what it needs to make a pair. */
public record TaskDefinition(Task task, TaskGroup group, Set<Capability> needs, String howMade) {
    public int index() {
        return task.ordinal();
    }

    /** The lower-case name used on the command line, in hints and in file names. */
    public String name() {
        return TaskCatalogue.nameOf(task);
    }
}
