package org.editstream.instruct;

/** A task agent's validated answer; keys the task does not use are null. */
public record AgentAnswer(String instruction, String outputCaption, String originalObject, String editedObject) {
}
