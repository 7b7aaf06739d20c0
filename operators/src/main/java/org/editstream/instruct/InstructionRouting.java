package org.editstream.instruct;

import org.editstream.schema.Task;
import org.editstream.tasks.TaskCatalogue;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which writer writes each task's instructions. Without an LLM every task goes to the templates. With one,
 * every task the LLM can write for goes to its agent, except those named to stay on templates. Tasks whose
 * recipes follow the template writer's drawn intent ({@link TemplateInstructionWriter#INTENT_TASKS}) always
 * use templates: an LLM's free text could not be made to match what the recipe does.
 *
 * @param llm   the server, or null for none
 * @param byLlm tasks whose instructions the LLM agents write
 */
public record InstructionRouting(LlmSettings llm, Set<Task> byLlm) implements Serializable {
    public InstructionRouting {
        byLlm = byLlm.isEmpty() ? EnumSet.noneOf(Task.class) : EnumSet.copyOf(byLlm);
        if (llm == null && !byLlm.isEmpty()) {
            throw new IllegalArgumentException("tasks routed to an LLM but no LLM is configured");
        }
    }

    public static InstructionRouting templatesOnly() {
        return new InstructionRouting(null, Set.of());
    }

    /**
     * @param templateTasks tasks that keep template instructions even with an LLM (they must have templates)
     */
    public static InstructionRouting decide(LlmSettings llm, Set<Task> templateTasks) {
        TemplateInstructionWriter templates = new TemplateInstructionWriter();
        Set<Task> unsupported = templateTasks.stream().filter(t -> !templates.supports(t)).collect(Collectors.toSet());
        if (!unsupported.isEmpty()) {
            throw new IllegalArgumentException("no instruction templates for " + names(unsupported)
                    + "; templates cover " + names(EnumSet.allOf(Task.class).stream().filter(templates::supports)
                    .collect(Collectors.toSet())));
        }
        if (llm == null) {
            return templatesOnly();
        }
        EnumSet<Task> byLlm = EnumSet.allOf(Task.class);
        byLlm.removeAll(TemplateInstructionWriter.INTENT_TASKS);
        byLlm.removeAll(templateTasks);
        return new InstructionRouting(llm, byLlm);
    }

    public boolean usesLlm(Task task) {
        return byLlm.contains(task);
    }

    /** Whether this deployment can write instructions for the task at all. */
    public boolean canWrite(Task task) {
        return usesLlm(task) || new TemplateInstructionWriter().supports(task);
    }

    private static String names(Set<Task> tasks) {
        return tasks.stream().sorted().map(TaskCatalogue::nameOf).collect(Collectors.joining(", "));
    }
}
