package org.editstream.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One in-context example of a task agent: a caption and the answer the agent should give. The instruction
 * holds a {@code {verb}} (or {@code {Verb}} at the start of a sentence) slot that each prompt fills with a verb
 * of the task's list, so the model sees varied wording. Keys the task does not use are null.
 */
public record AgentExample(
        @JsonProperty("caption") String caption,
        @JsonProperty("instruction") String instruction,
        @JsonProperty("output_caption") String outputCaption,
        @JsonProperty("original_object") String originalObject,
        @JsonProperty("edited_object") String editedObject) {

    static final String VERB = "{verb}";
    static final String CAPITAL_VERB = "{Verb}";

    /** The instruction with its verb slot filled. */
    public String instructionWith(String verb) {
        String capital = verb.isEmpty() ? verb : Character.toUpperCase(verb.charAt(0)) + verb.substring(1);
        return instruction.replace(CAPITAL_VERB, capital).replace(VERB, verb);
    }

    boolean hasVerbSlot() {
        return instruction != null && (instruction.contains(VERB) || instruction.contains(CAPITAL_VERB));
    }
}
