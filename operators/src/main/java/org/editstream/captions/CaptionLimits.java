package org.editstream.captions;

import java.io.Serializable;

/**
 * Limits a caption must meet to enter the pipeline.
 *
 * @param maxChars   captions longer than this (after white space is collapsed) are rejected; CLIP sees
 *                   77 tokens, so real captions are far shorter than the default
 * @param maxIdChars caption ids longer than this are rejected: the id keys the dedupe state, every sample id and
 *                   every Kafka record of the caption
 */
public record CaptionLimits(int maxChars, int maxIdChars) implements Serializable {
    public static final int DEFAULT_MAX_ID_CHARS = 256;

    public CaptionLimits(int maxChars) {
        this(maxChars, DEFAULT_MAX_ID_CHARS);
    }

    public static CaptionLimits defaults() {
        return new CaptionLimits(1000);
    }
}
