package org.editstream.perception;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

import java.util.List;

/**
 * all-MiniLM-L6-v2 sentence embeddings (384 wide), the ONNX model that ships inside langchain4j's Maven
 * artifact and runs on ONNX Runtime's CPU provider: no model folder, no download. One instance per JVM.
 */
public final class MiniLmSentences implements SentenceEmbedder {
    private static volatile MiniLmSentences shared;

    private final AllMiniLmL6V2EmbeddingModel model = new AllMiniLmL6V2EmbeddingModel();

    private MiniLmSentences() {
    }

    public static MiniLmSentences shared() {
        MiniLmSentences s = shared;
        if (s == null) {
            synchronized (MiniLmSentences.class) {
                if (shared == null) {
                    shared = new MiniLmSentences();
                }
                s = shared;
            }
        }
        return s;
    }

    @Override
    public String id() {
        return "all-MiniLM-L6-v2";
    }

    @Override
    public float[][] embed(List<String> sentences) {
        List<Embedding> embeddings = model.embedAll(sentences.stream().map(TextSegment::from).toList()).content();
        float[][] out = new float[embeddings.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = unit(embeddings.get(i).vector());
        }
        return out;
    }

    static float[] unit(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += x * (double) x;
        }
        float scale = norm == 0 ? 0 : (float) (1 / Math.sqrt(norm));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * scale;
        }
        return out;
    }
}
