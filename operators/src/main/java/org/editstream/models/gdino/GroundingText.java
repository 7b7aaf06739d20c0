package org.editstream.models.gdino;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The text inputs of a batch of captions, as Grounding DINO's processor and model make them: WordPiece ids padded
 * with [PAD] to the longest caption, the padding mask, and the phrase structure the text backbone attends by. A
 * phrase ends at each delimiter ([CLS], [SEP], "." and "?"): each token attends only to the tokens of its own
 * phrase (a delimiter counts as the last token of the phrase it ends; [CLS] and a last-column delimiter stand
 * alone), and position ids restart at 0 after each delimiter. Padding attends to itself at position 0.
 *
 * @param ids            [B][T] token ids
 * @param attentionMask  [B][T] 1 for tokens, 0 for padding
 * @param phraseMask     [B][T][T] 1 where token i may attend to token j
 * @param positionIds    [B][T] positions within each phrase
 */
public record GroundingText(long[][] ids, long[][] attentionMask, long[][][] phraseMask, long[][] positionIds) {
    /** A caption from phrases, joined as the reference processor joins candidate labels: "a cat. a remote control." */
    public static String caption(List<String> phrases) {
        return String.join(". ", phrases.stream().map(String::strip).toList()) + ".";
    }

    public static GroundingText of(BertTokenizer tokenizer, List<String> captions) {
        long[][] encoded = captions.stream().map(tokenizer::encode).toArray(long[][]::new);
        int length = Arrays.stream(encoded).mapToInt(e -> e.length).max().orElse(0);
        long[] delimiters = delimiters(tokenizer);
        int batch = encoded.length;
        long[][] ids = new long[batch][length];
        long[][] mask = new long[batch][length];
        long[][][] phrases = new long[batch][length][length];
        long[][] positions = new long[batch][length];
        for (int b = 0; b < batch; b++) {
            Arrays.fill(ids[b], tokenizer.padId());
            System.arraycopy(encoded[b], 0, ids[b], 0, encoded[b].length);
            Arrays.fill(mask[b], 0, encoded[b].length, 1);
            for (int t = 0; t < length; t++) {
                phrases[b][t][t] = 1;
            }
            int previous = 0;
            for (int col = 0; col < length; col++) {
                if (!contains(delimiters, ids[b][col])) {
                    continue;
                }
                if (col > 0 && col < length - 1) {
                    for (int i = previous + 1; i <= col; i++) {
                        positions[b][i] = i - previous - 1;
                        for (int j = previous + 1; j <= col; j++) {
                            phrases[b][i][j] = 1;
                        }
                    }
                }
                previous = col;
            }
        }
        return new GroundingText(ids, mask, phrases, positions);
    }

    /**
     * The token spans {@code [start, end)} of one row's phrases, in order: the runs of tokens between delimiters
     * (the delimiters and padding left out). "a cat. a remote control." gives the spans of "a cat" and "a remote control".
     */
    public static List<int[]> phraseSpans(BertTokenizer tokenizer, long[] ids) {
        long[] delimiters = delimiters(tokenizer);
        List<int[]> spans = new ArrayList<>();
        int start = -1;
        for (int t = 0; t <= ids.length; t++) {
            boolean outside = t == ids.length || contains(delimiters, ids[t]) || ids[t] == tokenizer.padId();
            if (outside && start >= 0) {
                spans.add(new int[] {start, t});
                start = -1;
            } else if (!outside && start < 0) {
                start = t;
            }
        }
        return spans;
    }

    private static long[] delimiters(BertTokenizer tokenizer) {
        return new long[] {tokenizer.id("[CLS]"), tokenizer.id("[SEP]"), tokenizer.id("."), tokenizer.id("?")};
    }

    /** The first {@code maxLength} tokens, as the model cuts a longer text (its [SEP] may be cut with it). */
    public GroundingText truncated(int maxLength) {
        int length = ids.length == 0 ? 0 : ids[0].length;
        if (length <= maxLength) {
            return this;
        }
        long[][][] phrases = new long[ids.length][][];
        for (int b = 0; b < ids.length; b++) {
            phrases[b] = new long[maxLength][];
            for (int i = 0; i < maxLength; i++) {
                phrases[b][i] = Arrays.copyOf(phraseMask[b][i], maxLength);
            }
        }
        return new GroundingText(cut(ids, maxLength), cut(attentionMask, maxLength), phrases, cut(positionIds, maxLength));
    }

    private static long[][] cut(long[][] rows, int length) {
        return Arrays.stream(rows).map(r -> Arrays.copyOf(r, length)).toArray(long[][]::new);
    }

    private static boolean contains(long[] values, long value) {
        for (long v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }
}
