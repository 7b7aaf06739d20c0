package org.editstream.instruct;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.captions.CaptionValidator;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Accepts or refuses a task agent's reply. Accepted: one JSON object (a single markdown fence around it is
 * stripped once) with the task's keys as non-empty strings within their length limits, no chat framing left in
 * them, an instruction that is not the caption, and object names that occur where the recipe will ground them.
 * Every field is held to the caption rules too (no control or format characters: NUL, U+202E and the like), and
 * none may speak to the model instead of describing an edit ({@link #ADDRESSES_THE_MODEL}: a reply that asks to
 * ignore instructions, names a system or hidden prompt, or talks about being an AI or a language model).
 * Every refusal carries its own reason code.
 */
public final class Replies {
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true);
    private static final Pattern FRAMING = Pattern.compile(
            "^(sure|certainly|of course|here is|here's|here are|as an ai|okay|ok,|i can|i cannot|i can't|"
                    + "instruction\\s*:|output[ _]caption\\s*:|caption\\s*:|answer\\s*:|json\\s*:)",
            Pattern.CASE_INSENSITIVE);
    /**
     * Words that address the model rather than describe an edit, the rule list of LLM_INVALID_FIELD: ignoring,
     * disregarding or forgetting previous, prior, above or earlier instructions (or prompts, rules); the system,
     * hidden or initial prompt; printing, revealing or repeating a prompt or instructions; "as an AI", "language
     * model", "AI assistant"; jailbreak and developer mode.
     */
    static final Pattern ADDRESSES_THE_MODEL = Pattern.compile(
            "\\b(ignore|disregard|forget|override)\\b.{0,40}\\b(previous|prior|above|earlier|all|your|the)\\b.{0,20}"
                    + "\\b(instructions?|prompts?|rules|messages?)\\b"
                    + "|\\b(system|hidden|initial|developer)\\s+(prompt|message|instructions?)\\b"
                    + "|\\b(print|reveal|repeat|show|output|leak)\\b.{0,30}\\b(prompt|instructions)\\b"
                    + "|\\bas an ai\\b|\\blanguage model\\b|\\bai assistant\\b|\\bjailbreak|\\bdeveloper mode\\b",
            Pattern.CASE_INSENSITIVE);
    /** Tasks whose original object is grounded in the input image, so it must be named by the input caption. */
    static final Set<Task> ORIGINAL_IN_CAPTION = EnumSet.of(Task.LOCAL, Task.REMOVE, Task.TEXTURE, Task.BACKGROUND,
            Task.DETECT, Task.SEGMENT);
    /** Tasks whose edited object is grounded in the edited image, so it must be named by the output caption. */
    static final Set<Task> EDITED_IN_OUTPUT = EnumSet.of(Task.ADD);

    private Replies() {
    }

    /** Thrown when fences remain after stripping one. */
    static final class FenceException extends Exception {
        FenceException(String message) {
            super(message);
        }
    }

    /** The reply without one surrounding markdown fence ({@code ```json ... ```}); fences elsewhere are refused. */
    static String unfence(String reply) throws FenceException {
        String text = reply == null ? "" : reply.strip();
        if (text.startsWith("```")) {
            int firstLine = text.indexOf('\n');
            if (firstLine < 0 || !text.endsWith("```") || text.length() < 6) {
                throw new FenceException("an unclosed markdown fence");
            }
            text = text.substring(firstLine + 1, text.length() - 3).strip();
        }
        if (text.contains("```")) {
            throw new FenceException("markdown fences inside the reply");
        }
        return text;
    }

    public static AgentAnswer validate(TaskAgent agent, String caption, String reply) throws Refusal {
        JsonNode root;
        try {
            root = JSON.readTree(unfence(reply));
        } catch (FenceException e) {
            throw new Refusal(Reason.LLM_INVALID_JSON, "reply is not one JSON object: " + e.getMessage() + ": " + clip(reply));
        } catch (JsonProcessingException e) {
            throw new Refusal(Reason.LLM_INVALID_JSON, "reply is not JSON: " + clip(reply));
        }
        if (root == null || !root.isObject()) {
            throw new Refusal(Reason.LLM_INVALID_JSON, "reply is JSON but not an object: " + clip(reply));
        }
        String[] values = new String[AgentKey.values().length];
        for (AgentKey key : agent.keys()) {
            JsonNode node = root.get(key.json());
            if (node == null || node.isNull() || node.isTextual() && node.asText().isBlank()) {
                throw new Refusal(Reason.LLM_MISSING_KEYS, "reply lacks " + key.json() + " (the " + name(agent.task())
                        + " task needs " + agent.keys().stream().map(AgentKey::json).toList() + ")");
            }
            if (!node.isTextual()) {
                throw new Refusal(Reason.LLM_INVALID_FIELD, key.json() + " is a " + node.getNodeType().name().toLowerCase(Locale.ROOT)
                        + ", not a string");
            }
            String value = node.asText().strip();
            if (value.length() > key.maxChars()) {
                throw new Refusal(Reason.LLM_REPLY_TOO_LONG, key.json() + " has " + value.length() + " characters; at most "
                        + key.maxChars() + " are accepted");
            }
            if (value.contains("\n") || value.contains("```") || FRAMING.matcher(value).find()) {
                throw new Refusal(Reason.LLM_INVALID_FIELD, key.json() + " holds chat framing, not a value: " + clip(value));
            }
            int control = CaptionValidator.firstControlCharacter(value);
            if (control >= 0) {
                throw new Refusal(Reason.LLM_INVALID_FIELD, String.format("%s holds control character U+%04X at index %d",
                        key.json(), value.codePointAt(control), control));
            }
            if (ADDRESSES_THE_MODEL.matcher(value).find()) {
                throw new Refusal(Reason.LLM_INVALID_FIELD, key.json() + " speaks to the model instead of describing an edit: "
                        + clip(value));
            }
            values[key.ordinal()] = value;
        }
        AgentAnswer answer = new AgentAnswer(values[0], values[1], values[2], values[3]);
        checkMeaning(agent.task(), caption, answer);
        return answer;
    }

    private static void checkMeaning(Task task, String caption, AgentAnswer answer) throws Refusal {
        if (normal(answer.instruction()).equals(normal(caption))) {
            throw new Refusal(Reason.LLM_INVALID_FIELD, "instruction repeats the caption: " + clip(answer.instruction()));
        }
        if (answer.outputCaption() != null && normal(answer.outputCaption()).equals(normal(caption))) {
            throw new Refusal(Reason.LLM_INVALID_FIELD, "output_caption equals the input caption: nothing would change");
        }
        if (ORIGINAL_IN_CAPTION.contains(task) && !mentions(caption, answer.originalObject())) {
            throw new Refusal(Reason.LLM_INVALID_FIELD, "original_object '" + answer.originalObject()
                    + "' does not occur in the caption");
        }
        if (EDITED_IN_OUTPUT.contains(task) && !mentions(answer.outputCaption(), answer.editedObject())) {
            throw new Refusal(Reason.LLM_INVALID_FIELD, "edited_object '" + answer.editedObject()
                    + "' does not occur in the output caption");
        }
    }

    /** Whether the object's words occur in the text as a run of whole words (case and punctuation ignored). */
    static boolean mentions(String text, String object) {
        String needle = normal(object);
        return !needle.isEmpty() && (" " + normal(text) + " ").contains(" " + needle + " ");
    }

    private static String normal(String text) {
        return text == null ? "" : text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }

    private static String name(Task task) {
        return task.name().toLowerCase(Locale.ROOT);
    }

    private static String clip(String text) {
        String t = text == null ? "" : text.replaceAll("\\s+", " ").strip();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }
}
