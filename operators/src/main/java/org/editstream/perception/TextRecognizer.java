package org.editstream.perception;

import java.awt.image.BufferedImage;
import java.util.List;

/** Reads the words in an image (OCR). Implementations may hold native resources: close them. */
public interface TextRecognizer extends AutoCloseable {
    List<RecognizedWord> words(BufferedImage image);

    /** Model id for the sample's lineage, e.g. "tesseract-5.5.1 eng". */
    String modelId();

    @Override
    void close();
}
