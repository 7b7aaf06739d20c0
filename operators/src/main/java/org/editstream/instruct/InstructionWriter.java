package org.editstream.instruct;

import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;

/**
 * Writes the edit instruction for a caption and its task (the pipeline's "write instruction" stage).
 * Implementations: {@link TemplateInstructionWriter} here; LLM agents plug into the same port.
 */
public interface InstructionWriter {
    /**
     * @param seed the caption's seed: every random choice derives from it, so a replay writes the same text
     */
    Instruction write(CaptionEvent caption, Task task, long seed) throws Refusal;

    /** Whether this writer can write instructions for the task. */
    boolean supports(Task task);
}
