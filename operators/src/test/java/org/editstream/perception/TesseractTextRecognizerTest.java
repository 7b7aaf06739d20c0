package org.editstream.perception;

import org.junit.jupiter.api.Test;

import java.awt.Rectangle;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TesseractTextRecognizerTest {
    @Test
    void theReadingWithMoreConfidentLettersWins() {
        List<RecognizedWord> blob = List.of(
                new RecognizedWord("_BAKERY", new Rectangle(120, 30, 350, 56), 0),
                new RecognizedWord("©", new Rectangle(20, 300, 20, 20), 95));
        List<RecognizedWord> clean = List.of(
                new RecognizedWord("BAKERY", new Rectangle(157, 42, 198, 33), 89),
                new RecognizedWord("|", new Rectangle(480, 35, 2, 50), 65));

        assertThat(TesseractTextRecognizer.better(blob, clean)).isSameAs(clean);
        assertThat(TesseractTextRecognizer.better(clean, blob)).isSameAs(clean);
    }
}
