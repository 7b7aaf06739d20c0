package org.editstream.instruct;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Finds the main object a caption talks about, for template instructions that name one ("detect the dog").
 * A light heuristic: the first noun phrase after a determiner, skipping framing words ("a photo of").
 */
public final class CaptionObjects {
    private static final Set<String> DETERMINERS = Set.of("a", "an", "the", "some", "two", "three", "several",
            "many", "his", "her", "their", "its", "my", "our", "this", "that", "these", "those");
    private static final Set<String> FRAMING = Set.of("photo", "photograph", "picture", "image", "close-up",
            "closeup", "view", "shot", "painting", "drawing", "portrait", "snapshot", "rendering", "illustration");
    private static final Set<String> STOPS = Set.of("of", "on", "in", "at", "with", "and", "by", "near", "under",
            "over", "behind", "beside", "next", "is", "are", "was", "were", "sitting", "standing", "lying", "holding",
            "that", "which", "who", "while", "from", "to", "for", "into", "onto", "against", "during", "has", "have",
            "looking", "walking", "running", "eating", "playing", "wearing", "flying", "riding", "parked");

    private CaptionObjects() {
    }

    public static Optional<String> mainObject(String caption) {
        List<String> words = List.of(caption.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9' -]", " ").strip()
                .split("\\s+"));
        for (int i = 0; i < words.size(); i++) {
            if (!DETERMINERS.contains(words.get(i))) {
                continue;
            }
            StringBuilder phrase = new StringBuilder();
            int j = i + 1;
            while (j < words.size() && !STOPS.contains(words.get(j)) && !DETERMINERS.contains(words.get(j))) {
                phrase.append(phrase.length() == 0 ? "" : " ").append(words.get(j));
                j++;
            }
            String found = phrase.toString();
            if (found.isEmpty()) {
                continue;
            }
            String head = found.substring(found.lastIndexOf(' ') + 1);
            if (FRAMING.contains(head)) {
                continue;
            }
            return Optional.of(found);
        }
        return Optional.empty();
    }
}
