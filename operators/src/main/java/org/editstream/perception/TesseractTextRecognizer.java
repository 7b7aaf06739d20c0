package org.editstream.perception;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.tesseract.ResultIterator;
import org.bytedeco.tesseract.TessBaseAPI;
import org.editstream.imaging.Images;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.bytedeco.tesseract.global.tesseract.PSM_AUTO;
import static org.bytedeco.tesseract.global.tesseract.RIL_WORD;

/**
 * OCR with Tesseract (LSTM engine, English), through its Java packaging. One instance owns one native
 * engine and is not thread-safe: give each operator instance its own.
 */
public final class TesseractTextRecognizer implements TextRecognizer {
    /** Two readings of one place: boxes sharing more than this fraction of the smaller one. */
    static final double SAME_PLACE_OVERLAP = 0.5;

    private final TessBaseAPI api;
    private final String modelId;

    public TesseractTextRecognizer(Path tessdata) {
        api = new TessBaseAPI();
        if (api.Init(tessdata.toString(), "eng") != 0) {
            api.close();
            throw new IllegalStateException("Tesseract could not load eng.traineddata from " + tessdata
                    + "; " + Tessdata.INSTALL_HINT);
        }
        // Photos have large mid-tone areas (sky, walls) that make a global Otsu threshold merge a sign
        // with its surroundings, so the page layout never sees the words. Sauvola's local threshold
        // keeps signs apart from the scene, dark-on-light and light-on-dark alike.
        api.SetPageSegMode(PSM_AUTO);
        api.SetVariable("thresholding_method", "2");
        api.SetVariable("debug_file", "/dev/null");
        modelId = "tesseract-" + api.Version().getString() + " eng";
    }

    /**
     * Reads the image twice, as it is and with its tones inverted, and keeps the more confident reading of
     * each place: Tesseract's layout analysis finds dark letters on a light board far more reliably than
     * the reverse, and photos have both.
     */
    @Override
    public List<RecognizedWord> words(BufferedImage image) {
        BufferedImage bgr = Images.toBgr(image);
        int w = bgr.getWidth();
        int h = bgr.getHeight();
        byte[] src = Images.bytes(bgr);
        byte[] rgb = new byte[src.length];
        byte[] inverted = new byte[src.length];
        for (int i = 0; i < src.length; i += 3) {
            for (int c = 0; c < 3; c++) {
                rgb[i + c] = src[i + 2 - c];
                inverted[i + c] = (byte) ~src[i + 2 - c];
            }
        }
        return merge(read(rgb, w, h), read(inverted, w, h));
    }

    /** The words of both readings; where two overlap, only the more confident one. */
    static List<RecognizedWord> merge(List<RecognizedWord> first, List<RecognizedWord> second) {
        List<RecognizedWord> all = new ArrayList<>(first);
        all.addAll(second);
        all.sort(Comparator.comparingDouble(RecognizedWord::confidence).reversed());
        List<RecognizedWord> kept = new ArrayList<>();
        for (RecognizedWord word : all) {
            if (kept.stream().noneMatch(k -> overlap(k.box(), word.box()) > SAME_PLACE_OVERLAP)) {
                kept.add(word);
            }
        }
        kept.sort(Comparator.<RecognizedWord>comparingInt(k -> k.box().y).thenComparingInt(k -> k.box().x));
        return kept;
    }

    /** Intersection over the smaller box's area. */
    private static double overlap(Rectangle a, Rectangle b) {
        Rectangle i = a.intersection(b);
        if (i.isEmpty()) {
            return 0;
        }
        double smaller = Math.min((double) a.width * a.height, (double) b.width * b.height);
        return smaller <= 0 ? 0 : i.width * (double) i.height / smaller;
    }

    private List<RecognizedWord> read(byte[] rgb, int w, int h) {
        List<RecognizedWord> words = new ArrayList<>();
        // Tesseract keeps the pixel pointer until Clear(): the native copy must outlive recognition
        try (BytePointer pixels = new BytePointer(rgb)) {
            api.SetImage(pixels, w, h, 3, 3 * w);
            if (api.Recognize(null) != 0) {
                api.Clear();
                return words;
            }
            collect(words);
        }
        return words;
    }

    private void collect(List<RecognizedWord> words) {
        try (ResultIterator it = api.GetIterator();
             IntPointer left = new IntPointer(1); IntPointer top = new IntPointer(1);
             IntPointer right = new IntPointer(1); IntPointer bottom = new IntPointer(1)) {
            if (it != null && !it.isNull()) {
                do {
                    BytePointer text = it.GetUTF8Text(RIL_WORD);
                    if (text == null || text.isNull()) {
                        continue;
                    }
                    String word = text.getString().strip();
                    text.deallocate();
                    if (word.isEmpty() || !it.BoundingBox(RIL_WORD, left, top, right, bottom)) {
                        continue;
                    }
                    Rectangle box = new Rectangle(left.get(), top.get(), right.get() - left.get(), bottom.get() - top.get());
                    words.add(new RecognizedWord(word, box, it.Confidence(RIL_WORD)));
                } while (it.Next(RIL_WORD));
            }
        } finally {
            api.Clear();
        }
    }

    @Override
    public String modelId() {
        return modelId;
    }

    @Override
    public void close() {
        api.End();
        api.close();
    }
}
