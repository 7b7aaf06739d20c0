package org.editstream.perception;

import java.awt.Rectangle;

/** A word an OCR engine read, where it found it, and how sure it is (0..100). */
public record RecognizedWord(String text, Rectangle box, float confidence) {
}
