package org.editstream.diffusion;

import org.editstream.models.clip.ClipTokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * How the target prompt's token positions take their cross-attention from the source prompt's
 * (attention-control spec): a token alignment for REFINE, a word-swap matrix for REPLACE.
 */
public final class TokenAlignment {
    /** Per target position: the source position it copies and the weight of the copy (1 aligned, 0 not). */
    public record Refine(int[] mapper, float[] alphas) {
    }

    private TokenAlignment() {
    }

    /**
     * Longest-common-subsequence alignment of the unpadded ids (start token through the first end token),
     * traced from the start: a match whenever it lies on an optimal path, else advance the source when that
     * keeps the optimum, else the target (which stays unaligned). Padding positions map to themselves.
     */
    public static Refine refine(long[] source, long[] target, long endId) {
        int ls = unpadded(source, endId);
        int lt = unpadded(target, endId);
        int[][] lcs = new int[ls + 1][lt + 1];
        for (int i = ls - 1; i >= 0; i--) {
            for (int j = lt - 1; j >= 0; j--) {
                lcs[i][j] = source[i] == target[j] ? 1 + lcs[i + 1][j + 1] : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
            }
        }
        int n = target.length;
        int[] mapper = new int[n];
        float[] alphas = new float[n];
        int i = 0;
        int j = 0;
        while (i < ls && j < lt) {
            if (source[i] == target[j] && lcs[i][j] == 1 + lcs[i + 1][j + 1]) {
                mapper[j] = i;
                alphas[j] = 1;
                i++;
                j++;
            } else if (lcs[i + 1][j] == lcs[i][j]) {
                i++;
            } else {
                j++;
            }
        }
        for (int k = lt; k < n; k++) {
            mapper[k] = k;
            alphas[k] = 1;
        }
        return new Refine(mapper, alphas);
    }

    /**
     * Prompt-to-Prompt's word-swap mapper [length x length]: the prompts have the same number of words; a
     * swapped word's source tokens map to its target tokens (split evenly when the counts differ), all other
     * positions map one to one.
     */
    public static float[][] replace(String source, String target, ClipTokenizer tokenizer) {
        String[] sw = source.split(" ");
        String[] tw = target.split(" ");
        if (sw.length != tw.length) {
            throw new IllegalArgumentException("a word swap needs prompts with the same number of words: \""
                    + source + "\" has " + sw.length + ", \"" + target + "\" has " + tw.length);
        }
        List<int[]> sourceTokens = new ArrayList<>();
        List<int[]> targetTokens = new ArrayList<>();
        for (int w = 0; w < tw.length; w++) {
            if (!tw[w].equals(sw[w])) {
                sourceTokens.add(wordTokens(source, w, tokenizer));
                targetTokens.add(wordTokens(target, w, tokenizer));
            }
        }
        int n = tokenizer.length();
        float[][] mapper = new float[n][n];
        int i = 0;
        int j = 0;
        int swap = 0;
        while (i < n && j < n) {
            if (swap < sourceTokens.size() && sourceTokens.get(swap).length > 0 && sourceTokens.get(swap)[0] == i) {
                int[] from = sourceTokens.get(swap);
                int[] to = targetTokens.get(swap);
                if (from.length == to.length) {
                    for (int k = 0; k < from.length; k++) {
                        mapper[from[k]][to[k]] = 1;
                    }
                } else {
                    float share = 1f / to.length;
                    for (int f : from) {
                        for (int t : to) {
                            mapper[f][t] = share;
                        }
                    }
                }
                swap++;
                i += from.length;
                j += to.length;
            } else if (swap < sourceTokens.size()) {
                mapper[i][j] = 1;
                i++;
                j++;
            } else {
                mapper[j][j] = 1;
                i++;
                j++;
            }
        }
        return mapper;
    }

    /** Token positions (after the start token) of word {@code index} of the space-split text. */
    static int[] wordTokens(String text, int index, ClipTokenizer tokenizer) {
        String[] words = text.split(" ");
        List<Integer> ids = tokenizer.bpeIds(text);
        List<Integer> positions = new ArrayList<>();
        int length = 0;
        int word = 0;
        for (int k = 0; k < ids.size() && word < words.length; k++) {
            length += tokenizer.decode(ids.get(k)).length();
            if (word == index) {
                positions.add(k + 1);
            }
            if (length >= words[word].length()) {
                word++;
                length = 0;
            }
        }
        return positions.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int unpadded(long[] ids, long endId) {
        for (int k = 0; k < ids.length; k++) {
            if (ids[k] == endId) {
                return k + 1;
            }
        }
        return ids.length;
    }
}
