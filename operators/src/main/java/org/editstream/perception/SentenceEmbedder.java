package org.editstream.perception;

import java.util.List;

/** Sentences to unit-length embedding vectors (cosine similarity is then a dot product). */
public interface SentenceEmbedder {
    /** Model id recorded with what it decided, e.g. all-MiniLM-L6-v2. */
    String id();

    float[][] embed(List<String> sentences);
}
