package org.editstream.instruct;

/**
 * The assistant's text of one chat completion and what it cost.
 *
 * @param latencyNanos from the first attempt's start to the reply, retries and waits included
 * @param attempts     HTTP attempts it took
 */
public record ChatReply(String content, int promptTokens, int completionTokens, long latencyNanos, int attempts) {
}
