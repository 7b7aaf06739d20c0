package org.editstream.models.gdino;

import com.fasterxml.jackson.databind.JsonNode;
import org.editstream.models.ModelException;
import org.editstream.models.ModelFolder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer as Hugging Face's {@code BertTokenizer} runs it: the basic tokenizer (drop control
 * characters, white space to spaces, spaces around CJK ideographs, NFC; lower-case and strip accents when the
 * config says so; punctuation split off as tokens of its own), then greedy longest-match WordPiece with {@code ##}
 * continuations, a word without a match (or of more than 100 characters) becoming {@code [UNK]}. Ids are the lines
 * of {@code vocab.txt}; {@link #encode} adds {@code [CLS]} and {@code [SEP]}.
 */
public final class BertTokenizer {
    private static final int MAX_WORD_CHARACTERS = 100;

    private final Map<String, Integer> vocab;
    private final String[] tokens;
    private final boolean lowerCase;
    private final boolean stripAccents;
    private final boolean splitCjk;
    private final int unknown;
    private final int cls;
    private final int sep;
    private final int pad;

    BertTokenizer(Map<String, Integer> vocab, boolean lowerCase, boolean stripAccents, boolean splitCjk) {
        this.vocab = vocab;
        this.tokens = new String[vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1];
        vocab.forEach((token, id) -> tokens[id] = token);
        this.lowerCase = lowerCase;
        this.stripAccents = stripAccents;
        this.splitCjk = splitCjk;
        this.unknown = id("[UNK]");
        this.cls = id("[CLS]");
        this.sep = id("[SEP]");
        this.pad = id("[PAD]");
    }

    /** The tokenizer of a folder with {@code vocab.txt} and (optionally) {@code tokenizer_config.json}. */
    public static BertTokenizer load(Path folder) {
        Path vocabFile = folder.resolve("vocab.txt");
        if (!Files.isRegularFile(vocabFile)) {
            throw new ModelException(folder + " has no vocab.txt for its BERT tokenizer");
        }
        Map<String, Integer> vocab = new HashMap<>();
        try {
            List<String> lines = Files.readAllLines(vocabFile, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                vocab.putIfAbsent(lines.get(i), i);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path configFile = folder.resolve("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configFile) ? ModelFolder.json(configFile, JsonNode.class) : null;
        boolean lower = config == null || config.path("do_lower_case").asBoolean(true);
        JsonNode strip = config == null ? null : config.get("strip_accents");
        // null (the default) strips accents exactly when lower-casing, as the reference does
        boolean stripAccents = strip == null || strip.isNull() ? lower : strip.asBoolean();
        boolean cjk = config == null || config.path("tokenize_chinese_chars").asBoolean(true);
        return new BertTokenizer(vocab, lower, stripAccents, cjk);
    }

    /** The id of a token of the vocabulary; fails for one it lacks. */
    public int id(String token) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new ModelException("the BERT vocabulary has no " + token);
        }
        return id;
    }

    public int padId() {
        return pad;
    }

    /** [CLS], the text's WordPiece ids, [SEP]. */
    public long[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        ids.add(cls);
        for (String word : basicTokens(text)) {
            wordPieces(word, ids);
        }
        ids.add(sep);
        return ids.stream().mapToLong(Integer::longValue).toArray();
    }

    /**
     * Text of token ids as the reference's {@code decode} gives it (special tokens kept): tokens joined by spaces,
     * {@code ##} continuations joined to the piece before, and the spaces before . ? ! , and common contractions
     * removed ({@code clean_up_tokenization_spaces}).
     */
    public String decode(long[] ids) {
        StringBuilder text = new StringBuilder();
        for (long id : ids) {
            String token = id >= 0 && id < tokens.length && tokens[(int) id] != null ? tokens[(int) id] : "[UNK]";
            if (!text.isEmpty()) {
                text.append(' ');
            }
            text.append(token);
        }
        String joined = text.toString().replace(" ##", "").strip();
        return joined.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve").replace(" 're", "'re");
    }

    /** The basic tokenizer's words and punctuation marks. */
    List<String> basicTokens(String text) {
        StringBuilder cleaned = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            if (isWhitespace(cp)) {
                cleaned.append(' ');
            } else if (splitCjk && isCjk(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
            } else {
                cleaned.appendCodePoint(cp);
            }
        });
        String normalized = Normalizer.normalize(cleaned, Normalizer.Form.NFC);
        List<String> out = new ArrayList<>();
        for (String token : normalized.trim().split(" +")) {
            if (token.isEmpty()) {
                continue;
            }
            if (lowerCase) {
                token = token.toLowerCase(Locale.ROOT);
            }
            if (stripAccents) {
                token = Normalizer.normalize(token, Normalizer.Form.NFD).codePoints()
                        .filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK)
                        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
            }
            splitPunctuation(token, out);
        }
        return out;
    }

    private static void splitPunctuation(String token, List<String> out) {
        StringBuilder word = new StringBuilder();
        token.codePoints().forEach(cp -> {
            if (isPunctuation(cp)) {
                if (!word.isEmpty()) {
                    out.add(word.toString());
                    word.setLength(0);
                }
                out.add(new String(Character.toChars(cp)));
            } else {
                word.appendCodePoint(cp);
            }
        });
        if (!word.isEmpty()) {
            out.add(word.toString());
        }
    }

    /** Greedy longest-match WordPiece of one word into {@code ids}: its pieces, or [UNK] when any part has no match. */
    private void wordPieces(String word, List<Integer> ids) {
        int[] chars = word.codePoints().toArray();
        if (chars.length > MAX_WORD_CHARACTERS) {
            ids.add(unknown);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < chars.length) {
            Integer match = null;
            int end = chars.length;
            while (start < end) {
                String piece = (start > 0 ? "##" : "") + new String(chars, start, end - start);
                match = vocab.get(piece);
                if (match != null) {
                    break;
                }
                end--;
            }
            if (match == null) {
                ids.add(unknown);
                return;
            }
            pieces.add(match);
            start = end;
        }
        ids.addAll(pieces);
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        int type = Character.getType(cp);
        return type == Character.CONTROL || type == Character.FORMAT || type == Character.PRIVATE_USE
                || type == Character.SURROGATE || type == Character.UNASSIGNED;
    }

    /** ASCII symbols count as punctuation (as in the reference), and every Unicode punctuation category. */
    private static boolean isPunctuation(int cp) {
        if (cp >= 33 && cp <= 47 || cp >= 58 && cp <= 64 || cp >= 91 && cp <= 96 || cp >= 123 && cp <= 126) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }

    private static boolean isCjk(int cp) {
        return cp >= 0x4E00 && cp <= 0x9FFF || cp >= 0x3400 && cp <= 0x4DBF || cp >= 0x20000 && cp <= 0x2A6DF
                || cp >= 0x2A700 && cp <= 0x2B73F || cp >= 0x2B740 && cp <= 0x2B81F || cp >= 0x2B820 && cp <= 0x2CEAF
                || cp >= 0xF900 && cp <= 0xFAFF || cp >= 0x2F800 && cp <= 0x2FA1F;
    }
}
