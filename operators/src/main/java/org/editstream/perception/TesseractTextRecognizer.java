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
import java.util.List;

import static org.bytedeco.tesseract.global.tesseract.PSM_AUTO;
import static org.bytedeco.tesseract.global.tesseract.PSM_SPARSE_TEXT;
import static org.bytedeco.tesseract.global.tesseract.RIL_WORD;

/**
 * OCR with Tesseract (LSTM engine, English), through its Java packaging. One instance owns one native
 * engine and is not thread-safe: give each operator instance its own.
 */
public final class TesseractTextRecognizer implements TextRecognizer {
    private static final String OTSU = "0";
    private static final String SAUVOLA = "2";

    private final TessBaseAPI api;
    private final String modelId;

    public TesseractTextRecognizer(Path tessdata) {
        api = new TessBaseAPI();
        if (api.Init(tessdata.toString(), "eng") != 0) {
            api.close();
            throw new IllegalStateException("Tesseract could not load eng.traineddata from " + tessdata
                    + "; " + Tessdata.INSTALL_HINT);
        }
        api.SetVariable("debug_file", "/dev/null");
        modelId = "tesseract-" + api.Version().getString() + " eng";
    }

    /**
     * How one reading binarises and segments the image. Photos defeat any single setting: a global Otsu
     * threshold merges a sign with large mid-tone surroundings (sky, walls) so the layout never sees its
     * words, Sauvola's local threshold keeps signs apart but frays small letters, and the layout finds
     * dark letters on a light board far more reliably than the reverse.
     */
    private record Pass(String thresholding, int pageSegMode, boolean inverted) {
    }

    /**
     * Both layouts with each threshold, and Sauvola on the inverted image too (a global threshold of the
     * inverted image is the same split). A pass costs tens of milliseconds at the working size.
     */
    private static final List<Pass> PASSES = List.of(
            new Pass(OTSU, PSM_AUTO, false),
            new Pass(OTSU, PSM_SPARSE_TEXT, false),
            new Pass(SAUVOLA, PSM_AUTO, false),
            new Pass(SAUVOLA, PSM_SPARSE_TEXT, false),
            new Pass(SAUVOLA, PSM_AUTO, true),
            new Pass(SAUVOLA, PSM_SPARSE_TEXT, true));

    /** Reads the image once per pass and keeps the best reading. */
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
        List<RecognizedWord> words = List.of();
        for (Pass pass : PASSES) {
            api.SetPageSegMode(pass.pageSegMode());
            api.SetVariable("thresholding_method", pass.thresholding());
            words = better(words, read(pass.inverted() ? inverted : rgb, w, h));
        }
        return words;
    }

    /**
     * The reading with the most confidently read letters: the sum over its words of confidence times
     * letters and digits. Readings are compared whole, not word by word, because a pass that fails on a
     * sign tends to read it as one large low-confidence blob that would shadow the real words.
     */
    static List<RecognizedWord> better(List<RecognizedWord> a, List<RecognizedWord> b) {
        return weight(b) > weight(a) ? b : a;
    }

    private static double weight(List<RecognizedWord> words) {
        double sum = 0;
        for (RecognizedWord word : words) {
            sum += word.confidence() * word.text().codePoints().filter(Character::isLetterOrDigit).count();
        }
        return sum;
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
