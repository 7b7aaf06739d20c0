package org.editstream.captions;

import java.io.Serializable;

/**
 * Limits a caption must meet to enter the pipeline.
 *
 * @param maxChars captions longer than this (after white space is collapsed) are rejected; CLIP sees
 *                 77 tokens, so real captions are far shorter than the default
 */
public record CaptionLimits(int maxChars) implements Serializable {
    public static CaptionLimits defaults() {
        return new CaptionLimits(1000);
    }
}
