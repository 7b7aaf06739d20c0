package org.editstream.perception;

import org.junit.jupiter.api.Test;

import java.awt.Rectangle;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TesseractTextRecognizerTest {
    @Test
    void mergeKeepsTheMoreConfidentReadingOfEachPlace() {
        RecognizedWord straight = new RecognizedWord("_BAKERY", new Rectangle(120, 30, 350, 56), 0);
        RecognizedWord inverted = new RecognizedWord("BAKERY", new Rectangle(157, 42, 198, 33), 89);
        RecognizedWord elsewhere = new RecognizedWord("OPEN", new Rectangle(20, 300, 120, 40), 70);

        List<RecognizedWord> merged = TesseractTextRecognizer.merge(List.of(straight, elsewhere), List.of(inverted));

        assertThat(merged).containsExactly(inverted, elsewhere);
    }
}
