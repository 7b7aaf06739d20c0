package org.editstream.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The texts every task agent shares: the system message (what the input is, the JSON output format) and the
 * assistant's acknowledgement of the introduction (which keeps user and assistant turns alternating, as the
 * chat templates of local servers require).
 */
public record AgentTexts(@JsonProperty("system") String system, @JsonProperty("acknowledgement") String acknowledgement) {
}
