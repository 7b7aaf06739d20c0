package org.editstream.models.clip;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.ModelException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer from {@code vocab.json} and {@code merges.txt}: text lower-cased with runs of
 * white space collapsed, split by CLIP's pattern, each piece's UTF-8 bytes mapped to printable characters,
 * merged by rank with an end-of-word marker on the last symbol; ids framed as
 * {@code [start] + ids[:length-2] + [end]} and padded with the pad id. Thread-safe.
 */
public final class ClipTokenizer {
    public static final String START = "<|startoftext|>";
    public static final String END = "<|endoftext|>";
    private static final Pattern SPLIT = Pattern.compile(
            "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+",
            Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
    private static final Pattern WHITE_SPACE = Pattern.compile("\\s+");
    private static final String[] BYTE_CHARS = byteChars();
    private static final Map<Integer, Integer> BYTE_VALUES = byteValues();

    private final Map<String, Integer> vocab;
    private final Map<Integer, String> pieces = new HashMap<>();
    private final Map<String, Integer> ranks;
    private final int startId;
    private final int endId;
    private final int padId;
    private final int length;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    public ClipTokenizer(Map<String, Integer> vocab, List<String> merges, int length, String padToken) {
        this.vocab = Map.copyOf(vocab);
        vocab.forEach((piece, id) -> pieces.put(id, piece));
        Map<String, Integer> r = new HashMap<>();
        for (int i = 0; i < merges.size(); i++) {
            r.put(merges.get(i), i);
        }
        this.ranks = r;
        this.startId = id(START);
        this.endId = id(END);
        this.padId = id(padToken);
        this.length = length;
    }

    /** The tokenizer of a {@code tokenizer/} folder (vocab.json, merges.txt, tokenizer_config.json). */
    public static ClipTokenizer load(Path folder) {
        Path vocabFile = folder.resolve("vocab.json");
        Path mergesFile = folder.resolve("merges.txt");
        for (Path f : List.of(vocabFile, mergesFile)) {
            if (!Files.isRegularFile(f)) {
                throw new ModelException("tokenizer folder " + folder + " lacks " + f.getFileName());
            }
        }
        try {
            ObjectMapper json = new ObjectMapper();
            Map<String, Integer> vocab = json.readValue(vocabFile.toFile(), new TypeReference<>() { });
            List<String> merges = new ArrayList<>();
            for (String line : Files.readAllLines(mergesFile, StandardCharsets.UTF_8)) {
                if (!line.startsWith("#version") && !line.isBlank()) {
                    merges.add(line);
                }
            }
            int length = 77;
            String pad = END;
            Path config = folder.resolve("tokenizer_config.json");
            if (Files.isRegularFile(config)) {
                var node = json.readTree(config.toFile());
                length = node.path("model_max_length").asInt(77);
                if (length <= 2 || length > 4096) {
                    length = 77; // some configs hold a "very large integer" meaning unlimited
                }
                String p = node.path("pad_token").isTextual() ? node.path("pad_token").asText()
                        : node.path("pad_token").path("content").asText(END);
                pad = vocab.containsKey(p) ? p : END;
            }
            return new ClipTokenizer(vocab, merges, length, pad);
        } catch (IOException e) {
            throw new ModelException("cannot read the tokenizer in " + folder + ": " + e.getMessage(), e);
        }
    }

    /** Token ids framed and padded to the model's length. */
    public long[] encode(String text) {
        long[] ids = new long[length];
        Arrays.fill(ids, padId);
        ids[0] = startId;
        int n = 1;
        for (int id : bpeIds(text)) {
            if (n == length - 1) {
                break;
            }
            ids[n++] = id;
        }
        ids[n] = endId;
        return ids;
    }

    /** The text of one token: its bytes decoded as UTF-8, the end-of-word marker dropped. */
    public String decode(int id) {
        String piece = pieces.get(id);
        if (piece == null) {
            throw new IllegalArgumentException("no token with id " + id);
        }
        if (piece.equals(START) || piece.equals(END)) {
            return piece;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        piece.replace("</w>", "").codePoints().forEach(cp -> bytes.write(BYTE_VALUES.getOrDefault(cp, (int) '?')));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    public int length() {
        return length;
    }

    public int endId() {
        return endId;
    }

    /** The BPE ids of the text, unframed and untruncated. */
    public List<Integer> bpeIds(String text) {
        String clean = WHITE_SPACE.matcher(text.strip()).replaceAll(" ").toLowerCase(Locale.ROOT);
        List<Integer> ids = new ArrayList<>();
        Matcher m = SPLIT.matcher(clean);
        while (m.find()) {
            StringBuilder chars = new StringBuilder();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                chars.append(BYTE_CHARS[b & 0xFF]);
            }
            for (int id : cache.computeIfAbsent(chars.toString(), this::bpe)) {
                ids.add(id);
            }
        }
        return ids;
    }

    private int[] bpe(String token) {
        List<String> word = new ArrayList<>();
        token.codePoints().forEach(cp -> word.add(new String(Character.toChars(cp))));
        word.set(word.size() - 1, word.get(word.size() - 1) + "</w>");
        while (word.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i < word.size() - 1; i++) {
                Integer rank = ranks.get(word.get(i) + " " + word.get(i + 1));
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            String first = word.get(best);
            String second = word.get(best + 1);
            List<String> merged = new ArrayList<>(word.size());
            for (int i = 0; i < word.size(); i++) {
                if (i < word.size() - 1 && word.get(i).equals(first) && word.get(i + 1).equals(second)) {
                    merged.add(first + second);
                    i++;
                } else {
                    merged.add(word.get(i));
                }
            }
            word.clear();
            word.addAll(merged);
        }
        int[] ids = new int[word.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = id(word.get(i));
        }
        return ids;
    }

    private int id(String piece) {
        Integer id = vocab.get(piece);
        if (id == null) {
            throw new ModelException("the tokenizer's vocabulary has no entry for '" + piece + "'");
        }
        return id;
    }

    private static Map<Integer, Integer> byteValues() {
        Map<Integer, Integer> values = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            values.put(BYTE_CHARS[b].codePointAt(0), b);
        }
        return values;
    }

    /** GPT-2's reversible map from bytes to printable characters. */
    private static String[] byteChars() {
        String[] chars = new String[256];
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            printable[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            printable[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            printable[b] = true;
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            chars[b] = new String(Character.toChars(printable[b] ? b : next++));
        }
        return chars;
    }
}
