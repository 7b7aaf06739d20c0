package org.editstream.tasks;

import org.editstream.schema.Task;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Every random draw of the job derives from the caption id (or the caption's own seed), so a replay of the
 * same caption makes the same sample with the same id. Seeds are unsigned 32-bit values, the range numpy
 * and PyTorch reference generators accept.
 */
public final class Seeds {
    /** Seeds are in [0, 2^32). */
    public static final long SEED_LIMIT = 1L << 32;

    private Seeds() {
    }

    /** A seed derived from the caption id. */
    public static long fromCaptionId(String captionId) {
        byte[] h = sha256(captionId);
        return ((h[0] & 0xFFL) << 24) | ((h[1] & 0xFFL) << 16) | ((h[2] & 0xFFL) << 8) | (h[3] & 0xFFL);
    }

    public static boolean isValid(long seed) {
        return seed >= 0 && seed < SEED_LIMIT;
    }

    /** An independent random stream for one purpose ("assign", "instruction", "recipe") of one sample. */
    public static SplittableRandom random(long seed, String purpose) {
        byte[] h = sha256(seed + "/" + purpose);
        long mixed = 0;
        for (int i = 0; i < 8; i++) {
            mixed = (mixed << 8) | (h[i] & 0xFFL);
        }
        return new SplittableRandom(mixed);
    }

    /** Sample ids are hex (safe as file names and WebDataset keys) and depend only on caption id, task, candidate. */
    public static String sampleId(String captionId, Task task, int candidate) {
        byte[] h = sha256(captionId + "\u0000" + task.name() + "\u0000" + candidate);
        return HexFormat.of().formatHex(h, 0, 12);
    }

    public static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
