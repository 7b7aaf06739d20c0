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

import static org.bytedeco.tesseract.global.tesseract.PSM_SPARSE_TEXT;
import static org.bytedeco.tesseract.global.tesseract.RIL_WORD;

/**
 * OCR with Tesseract (LSTM engine, English), through its Java packaging. One instance owns one native
 * engine and is not thread-safe: give each operator instance its own.
 */
public final class TesseractTextRecognizer implements TextRecognizer {
    private final TessBaseAPI api;
    private final String modelId;

    public TesseractTextRecognizer(Path tessdata) {
        api = new TessBaseAPI();
        if (api.Init(tessdata.toString(), "eng") != 0) {
            api.close();
            throw new IllegalStateException("Tesseract could not load eng.traineddata from " + tessdata
                    + "; " + Tessdata.INSTALL_HINT);
        }
        // sparse text: find as much text as possible in no particular order, as photos have it
        api.SetPageSegMode(PSM_SPARSE_TEXT);
        api.SetVariable("debug_file", "/dev/null");
        modelId = "tesseract-" + api.Version().getString() + " eng";
    }

    @Override
    public List<RecognizedWord> words(BufferedImage image) {
        BufferedImage bgr = Images.toBgr(image);
        int w = bgr.getWidth();
        int h = bgr.getHeight();
        byte[] src = Images.bytes(bgr);
        byte[] rgb = new byte[src.length];
        for (int i = 0; i < src.length; i += 3) {
            rgb[i] = src[i + 2];
            rgb[i + 1] = src[i + 1];
            rgb[i + 2] = src[i];
        }
        List<RecognizedWord> words = new ArrayList<>();
        // Tesseract keeps the pixel pointer until Clear(): the native copy must outlive recognition
        try (BytePointer pixels = new BytePointer(rgb)) {
            api.SetImage(rgb, w, h, 3, 3 * w);
            api.SetSourceResolution(72);
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
