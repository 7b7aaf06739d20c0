package org.editstream.instruct;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Object names as a grounding model wants them: what the object is, without whose it is. The agents' object
 * names come from captions ("the dog's tail", "my red car"); before grounding, a second prompt strips
 * possessives and possessors and keeps the attributes that pick the instance out (colour, material, size):
 * <ul>
 *   <li>"the dog's tail" becomes "tail";</li>
 *   <li>"my red car" becomes "red car" (the colour helps the grounder choose among cars);</li>
 *   <li>"her grandmother's old wooden chair" becomes "old wooden chair".</li>
 * </ul>
 * A reply is accepted only when it is a JSON object whose {@code object} is a non-empty run of the name's own
 * words; otherwise the same rule is applied here ({@link #strip}), so a confused model cannot invent a new
 * object to ground.
 */
public final class ObjectNames {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LEADING = Set.of("a", "an", "the", "my", "your", "his", "her", "its", "our",
            "their", "this", "that", "these", "those", "some");

    private ObjectNames() {
    }

    /** The prompt of the stripping agent: a system text and examples (name -> object). */
    public record Prompt(@JsonProperty("system") String system, @JsonProperty("examples") List<Example> examples) {
        public List<ChatMessage> messages(String name) {
            List<ChatMessage> messages = new ArrayList<>();
            messages.add(ChatMessage.system(system));
            for (Example e : examples) {
                messages.add(ChatMessage.user(e.name()));
                messages.add(ChatMessage.assistant(JSON.createObjectNode().put("object", e.object()).toString()));
            }
            messages.add(ChatMessage.user(name));
            return messages;
        }
    }

    public record Example(@JsonProperty("name") String name, @JsonProperty("object") String object) {
    }

    /**
     * The stripped name from the model's reply, when the reply is a JSON object whose {@code object} uses only
     * words of {@code name}, in order; empty otherwise.
     */
    public static Optional<String> fromReply(String name, String reply) {
        JsonNode node;
        try {
            node = JSON.readTree(Replies.unfence(reply));
        } catch (IOException | Replies.FenceException e) {
            return Optional.empty();
        }
        JsonNode object = node == null ? null : node.get("object");
        if (object == null || !object.isTextual()) {
            return Optional.empty();
        }
        String value = object.asText().strip();
        List<String> got = words(value);
        if (got.isEmpty() || !isSubsequence(got, words(name))) {
            return Optional.empty();
        }
        return Optional.of(String.join(" ", got));
    }

    /** The rule the prompt teaches: drop leading determiners and possessive pronouns, and every possessor. */
    public static String strip(String name) {
        String text = name.toLowerCase(Locale.ROOT).strip();
        int possessive = Math.max(text.lastIndexOf("'s "), text.lastIndexOf("s' "));
        if (possessive >= 0) {
            text = text.substring(text.indexOf(' ', possessive) + 1);
        }
        List<String> words = new ArrayList<>(words(text));
        while (words.size() > 1 && LEADING.contains(words.get(0))) {
            words.remove(0);
        }
        return String.join(" ", words);
    }

    private static List<String> words(String text) {
        return Arrays.stream(text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}' -]", " ").strip().split("\\s+"))
                .filter(w -> !w.isEmpty()).collect(Collectors.toList());
    }

    private static boolean isSubsequence(List<String> part, List<String> whole) {
        int j = 0;
        for (String w : whole) {
            if (j < part.size() && part.get(j).equals(w)) {
                j++;
            }
        }
        return j == part.size();
    }
}
