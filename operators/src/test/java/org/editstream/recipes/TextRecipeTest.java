package org.editstream.recipes;

import org.editstream.imaging.Images;
import org.editstream.perception.RecognizedWord;
import org.editstream.perception.Tessdata;
import org.editstream.perception.TesseractTextRecognizer;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class TextRecipeTest {
    private static TesseractTextRecognizer ocr;

    @BeforeAll
    static void openOcr() {
        Path tessdata = Tessdata.find(null).orElse(null);
        assumeTrue(tessdata != null, "OCR data not installed: " + Tessdata.INSTALL_HINT);
        ocr = new TesseractTextRecognizer(tessdata);
    }

    @AfterAll
    static void closeOcr() {
        if (ocr != null) {
            ocr.close();
        }
    }

    /** A textured background with a sign of rendered words. */
    static BufferedImage signWith(String text) {
        return signWith(text, new Color(40, 30, 25), new Color(245, 235, 215));
    }

    static BufferedImage signWith(String text, Color board, Color ink) {
        BufferedImage image = ColorRecipeTest.scene();
        BufferedImage big = new BufferedImage(600, 400, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.drawImage(image, 0, 0, 600, 400, null);
        g.setColor(board);
        g.fillRoundRect(120, 24, 360, 70, 16, 16);
        g.setColor(ink);
        g.setFont(new Font("DejaVu Sans", Font.BOLD, 40));
        g.drawString(text, 160, 74);
        g.dispose();
        return big;
    }

    private static Instruction mode(String mode, Map<String, String> extra) {
        Map<String, String> intent = new java.util.HashMap<>(extra);
        intent.put("mode", mode);
        return Instruction.newBuilder().setText("t").setWriter("template").setTemplateVersion("t").setIntent(intent).build();
    }

    private static String read(BufferedImage image) {
        return ocr.words(image).stream().filter(w -> w.confidence() > 50).map(RecognizedWord::text)
                .collect(Collectors.joining(" "));
    }

    @Test
    void removeFindsTheWordsAndTakesThemAway() throws Exception {
        BufferedImage input = signWith("GARDEN");
        assertThat(read(input)).contains("GARDEN");
        EditPair pair = new TextRecipe(ocr).make(input, mode("remove", Map.of()), new SplittableRandom(1));
        assertThat(pair.facts().get("found_text")).isEqualTo("GARDEN");
        assertThat(pair.input()).isSameAs(input);
        assertThat(read(pair.edited())).doesNotContain("GARDEN");
        assertThat(pair.mask()).isNotNull();
        assertThat(org.editstream.imaging.Masks.coverage(pair.mask())).isBetween(0.01, 0.3);
    }

    @Test
    void darkLettersOnALightBoardAreRemovedToo() throws Exception {
        BufferedImage input = signWith("GARDEN", new Color(245, 235, 215), new Color(40, 30, 25));
        EditPair pair = new TextRecipe(ocr).make(input, mode("remove", Map.of()), new SplittableRandom(1));
        assertThat(pair.facts().get("found_text")).isEqualTo("GARDEN");
        assertThat(read(pair.edited())).doesNotContain("GARDEN");
        // the board stays: the ink mask covers the letters, not the whole sign
        java.awt.Rectangle board = new java.awt.Rectangle(120, 24, 360, 70);
        assertThat(org.editstream.imaging.Masks.coverage(pair.mask()) * 600 * 400)
                .isLessThan(0.8 * board.width * board.height);
        assertThat(new Color(pair.edited().getRGB(400, 60)).getRed()).isGreaterThan(200);
    }

    @Test
    void addIsTheReversedPair() throws Exception {
        BufferedImage input = signWith("GARDEN");
        EditPair pair = new TextRecipe(ocr).make(input, mode("add", Map.of()), new SplittableRandom(1));
        assertThat(pair.edited()).isSameAs(input);
        assertThat(read(pair.input())).doesNotContain("GARDEN");
    }

    @Test
    void replacedTextIsReadBackByOcr() throws Exception {
        BufferedImage input = signWith("GARDEN");
        EditPair pair = new TextRecipe(ocr).make(input, mode("replace", Map.of("new_text", "BAKERY",
                "font_family", "DejaVu Sans", "bold", "true", "color_rgb", "f2c21b")), new SplittableRandom(1));
        assertThat(read(pair.edited())).contains("BAKERY").doesNotContain("GARDEN");
        assertThat(Images.meanAbsoluteDifference(input, pair.edited())).isGreaterThan(0.001);
    }

    @Test
    void replacementTextThatWouldNotStandOutIsRefused() {
        BufferedImage input = signWith("GARDEN");
        assertThatThrownBy(() -> new TextRecipe(ocr).make(input, mode("replace", Map.of("new_text", "BAKERY",
                "font_family", "DejaVu Sans", "bold", "true", "color_rgb", "1a1a1a")), new SplittableRandom(1)))
                .isInstanceOfSatisfying(Refusal.class, r -> {
                    assertThat(r.reason()).isEqualTo(Reason.RECIPE_FAILED);
                    assertThat(r.getMessage()).contains("contrast");
                });
    }

    @Test
    void imageWithoutTextIsRefusedWithItsReason() {
        assertThatThrownBy(() -> new TextRecipe(ocr).make(ColorRecipeTest.scene(), mode("remove", Map.of()),
                new SplittableRandom(1)))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Reason.NO_TEXT_FOUND));
    }

    @Test
    void strayShapesAreNotTakenForWords() {
        List<RecognizedWord> words = List.of(
                new RecognizedWord("we", new java.awt.Rectangle(10, 10, 300, 200), 90),
                new RecognizedWord("OPEN", new java.awt.Rectangle(20, 300, 120, 40), 90));
        assertThat(TextRecipe.readableWords(words, 400)).extracting(RecognizedWord::text).containsExactly("OPEN");
    }
}
