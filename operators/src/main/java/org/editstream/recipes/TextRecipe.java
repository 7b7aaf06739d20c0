package org.editstream.recipes;

import org.editstream.imaging.Inpainting;
import org.editstream.imaging.Images;
import org.editstream.imaging.Masks;
import org.editstream.imaging.TextRenderer;
import org.editstream.perception.RecognizedWord;
import org.editstream.perception.TextRecognizer;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.Color;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Text: OCR finds the words, the ink inside their boxes makes the mask, inpainting takes the text away (the clean image).
 * add = (clean, original), remove = (original, clean), replace = (original, clean + new text rendered in the
 * instruction's font and colour where the old text was).
 */
public final class TextRecipe implements Recipe {
    /** Words OCR reads with less confidence than this are ignored (0..100). */
    static final float MIN_CONFIDENCE = 55;
    /** "Words" taller than this fraction of the image are OCR reading shapes as letters, not text. */
    static final double MAX_WORD_HEIGHT_FRACTION = 0.25;
    /** Growth of the ink mask around the letters, as a fraction of the word's height (at least 2 pixels). */
    static final double DILATION_FRACTION = 0.12;
    static final double INPAINT_RADIUS = 5;
    /** Least WCAG contrast ratio of replacement text against its board: below it the new text is illegible. */
    static final double MIN_CONTRAST = 2.0;
    /** Longest found text an instruction quotes. */
    static final int MAX_QUOTED_CHARS = 60;

    private final TextRecognizer ocr;

    public TextRecipe(TextRecognizer ocr) {
        this.ocr = ocr;
    }

    @Override
    public Task task() {
        return Task.TEXT;
    }

    @Override
    public String name() {
        return "text";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String mode = Recipe.intent(instruction, "mode");
        List<RecognizedWord> words = mostProminentLine(readableWords(ocr.words(image), image.getHeight()));
        if (words.isEmpty()) {
            throw new Refusal(Reason.NO_TEXT_FOUND, "OCR found no readable text in the "
                    + image.getWidth() + "x" + image.getHeight() + " image");
        }
        int dilation = Math.max(2, (int) Math.round(DILATION_FRACTION
                * words.stream().mapToInt(w -> w.box().height).max().orElse(0)));
        BufferedImage mask = Masks.ofInk(image, words.stream().map(RecognizedWord::box).toList(), dilation);
        BufferedImage clean = Inpainting.telea(image, mask, INPAINT_RADIUS);

        String foundText = quote(words);
        Map<String, String> parameters = new TreeMap<>();
        parameters.put("mode", mode);
        parameters.put("words", Integer.toString(words.size()));
        parameters.put("inpainting", "telea");
        parameters.put("mask", "ink");
        parameters.put("mask_dilation", Integer.toString(dilation));
        List<String> models = List.of(ocr.modelId(), "opencv-4.11 inpaint-telea");
        Map<String, String> facts = Map.of("found_text", foundText);
        return switch (mode) {
            case "remove" -> new EditPair(image, clean, mask, parameters, models, facts);
            case "add" -> new EditPair(clean, image, mask, parameters, models, facts);
            case "replace" -> {
                String newText = Recipe.intent(instruction, "new_text");
                String family = Recipe.intent(instruction, "font_family");
                boolean bold = Boolean.parseBoolean(instruction.getIntent().getOrDefault("bold", "false"));
                Color color = new Color(Integer.parseInt(Recipe.intent(instruction, "color_rgb"), 16));
                Rectangle where = union(words);
                double contrast = Images.contrastRatio(color, Images.meanColor(clean, where));
                if (contrast < MIN_CONTRAST) {
                    throw new Refusal(Reason.RECIPE_FAILED, String.format(Locale.ROOT,
                            "new text colour #%s has contrast %.2f against the board behind it (needs %.1f)",
                            Recipe.intent(instruction, "color_rgb"), contrast, MIN_CONTRAST));
                }
                BufferedImage replaced = TextRenderer.drawFitted(clean, newText, family, bold, color, where);
                parameters.put("new_text", newText);
                parameters.put("font_family", family);
                parameters.put("bold", Boolean.toString(bold));
                parameters.put("color_rgb", Recipe.intent(instruction, "color_rgb"));
                parameters.put("text_box", where.x + "," + where.y + "," + where.width + "," + where.height);
                yield new EditPair(image, replaced, mask, parameters, models, facts);
            }
            default -> throw new Refusal(Reason.RECIPE_FAILED, "unknown text mode '" + mode + "'");
        };
    }

    /** Confident, text-sized words with at least two letters or digits, in reading order. */
    static List<RecognizedWord> readableWords(List<RecognizedWord> words, int imageHeight) {
        List<RecognizedWord> kept = new ArrayList<>();
        for (RecognizedWord w : words) {
            long alphanumerics = w.text().codePoints().filter(Character::isLetterOrDigit).count();
            if (w.confidence() >= MIN_CONFIDENCE && alphanumerics >= 2 && w.box().width > 0 && w.box().height > 0
                    && w.box().height <= MAX_WORD_HEIGHT_FRACTION * imageHeight) {
                kept.add(w);
            }
        }
        kept.sort(Comparator.<RecognizedWord>comparingInt(w -> w.box().y / Math.max(1, w.box().height))
                .thenComparingInt(w -> w.box().x));
        return kept;
    }

    /**
     * The line of text that stands out most (largest total word area): the one the instruction names and the
     * edit touches. Stray single words OCR finds in textures end up on lines of their own and are left alone.
     */
    static List<RecognizedWord> mostProminentLine(List<RecognizedWord> words) {
        List<List<RecognizedWord>> lines = new ArrayList<>();
        for (RecognizedWord word : words) {
            List<RecognizedWord> line = lines.stream().filter(l -> sameLine(l.get(0).box(), word.box())).findFirst().orElse(null);
            if (line == null) {
                line = new ArrayList<>();
                lines.add(line);
            }
            line.add(word);
        }
        List<RecognizedWord> best = List.of();
        long bestArea = -1;
        for (List<RecognizedWord> line : lines) {
            long area = line.stream().mapToLong(w -> (long) w.box().width * w.box().height).sum();
            if (area > bestArea) {
                bestArea = area;
                best = line;
            }
        }
        List<RecognizedWord> sorted = new ArrayList<>(best);
        sorted.sort(Comparator.comparingInt(w -> w.box().x));
        return sorted;
    }

    /**
     * Two boxes are on one line when they overlap vertically by at least half the smaller height and their
     * heights are alike (letters of one line have one size).
     */
    private static boolean sameLine(Rectangle a, Rectangle b) {
        int overlap = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
        double ratio = (double) Math.max(a.height, b.height) / Math.max(1, Math.min(a.height, b.height));
        return overlap >= 0.5 * Math.min(a.height, b.height) && ratio <= 1.6;
    }

    private static String quote(List<RecognizedWord> words) {
        String all = words.stream().map(RecognizedWord::text).collect(Collectors.joining(" "));
        return all.length() <= MAX_QUOTED_CHARS ? all : all.substring(0, MAX_QUOTED_CHARS).strip() + "...";
    }

    private static Rectangle union(List<RecognizedWord> words) {
        Rectangle r = new Rectangle(words.get(0).box());
        for (RecognizedWord w : words) {
            r.add(w.box());
        }
        return r;
    }
}
