package org.editstream.instruct;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.editstream.schema.Task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The LLM agent of one task, as Emu Edit builds it: a system message (input and JSON output format), an
 * introduction stating the task and what each key means, a history of in-context examples (a random
 * {@link #EXAMPLE_FRACTION} of the task's examples in random order, each with its verb drawn from the task's
 * verb list), then the caption. The caption is only ever the content of the last user message.
 *
 * @param keys the answer keys this task requires; the others must be null
 */
public record TaskAgent(Task task, String introduction, Set<AgentKey> keys, List<String> verbs,
                        List<AgentExample> examples) {
    /** Share of the examples each request shows. */
    public static final double EXAMPLE_FRACTION = 0.6;
    private static final ObjectMapper JSON = new ObjectMapper();

    public TaskAgent {
        if (!keys.contains(AgentKey.INSTRUCTION)) {
            throw new IllegalArgumentException(task + ": every agent answers with an instruction");
        }
        if (verbs.isEmpty()) {
            throw new IllegalArgumentException(task + ": the verb list is empty");
        }
        for (AgentExample example : examples) {
            if (!example.hasVerbSlot()) {
                throw new IllegalArgumentException(task + ": example instruction has no {verb} slot: " + example.instruction());
            }
            for (AgentKey key : AgentKey.values()) {
                boolean present = valueOf(example, key) != null;
                if (present != keys.contains(key)) {
                    throw new IllegalArgumentException(task + ": example for '" + example.caption() + "' "
                            + (present ? "sets " : "lacks ") + key.json());
                }
            }
        }
    }

    /** How many examples one request shows. */
    public int examplesPerPrompt() {
        return Math.max(1, (int) Math.round(EXAMPLE_FRACTION * examples.size()));
    }

    /**
     * The chat for one caption. Every draw comes from {@code random}, which the caller derives from the caption
     * id, task and attempt, so a replay sends the same prompt.
     */
    public List<ChatMessage> prompt(AgentTexts texts, String caption, SplittableRandom random) {
        List<AgentExample> shuffled = new ArrayList<>(examples);
        // Fisher-Yates on our own stream (Collections.shuffle wants a java.util.Random)
        for (int i = shuffled.size() - 1; i > 0; i--) {
            Collections.swap(shuffled, i, random.nextInt(i + 1));
        }
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(ChatMessage.system(texts.system()));
        messages.add(ChatMessage.user(introduction));
        messages.add(ChatMessage.assistant(texts.acknowledgement()));
        for (AgentExample example : shuffled.subList(0, examplesPerPrompt())) {
            String verb = verbs.get(random.nextInt(verbs.size()));
            messages.add(ChatMessage.user(example.caption()));
            messages.add(ChatMessage.assistant(answer(example, verb)));
        }
        messages.add(ChatMessage.user(caption));
        return messages;
    }

    /** An example's answer as the agent should write it: all four keys, unused ones null. */
    String answer(AgentExample example, String verb) {
        ObjectNode node = JSON.createObjectNode();
        node.put(AgentKey.INSTRUCTION.json(), example.instructionWith(verb));
        node.put(AgentKey.OUTPUT_CAPTION.json(), example.outputCaption());
        node.put(AgentKey.ORIGINAL_OBJECT.json(), example.originalObject());
        node.put(AgentKey.EDITED_OBJECT.json(), example.editedObject());
        return node.toString();
    }

    static String valueOf(AgentExample example, AgentKey key) {
        return switch (key) {
            case INSTRUCTION -> example.instruction();
            case OUTPUT_CAPTION -> example.outputCaption();
            case ORIGINAL_OBJECT -> example.originalObject();
            case EDITED_OBJECT -> example.editedObject();
        };
    }
}
