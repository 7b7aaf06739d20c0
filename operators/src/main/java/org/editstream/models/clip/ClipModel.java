package org.editstream.models.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.ModelFolder;
import org.editstream.models.Parameters;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.WeightSource;
import org.editstream.models.nn.Linear;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A Hugging Face {@code CLIPModel} folder: both towers (the text tower is the diffusion engine's text encoder),
 * their projections, the logit scale, the tokenizer and the image processor. Image and text features are the
 * projected pooled outputs; embeddings are those normalised. Safe for concurrent requests.
 */
public final class ClipModel implements AutoCloseable {
    private final NDManager manager;
    private final ClipConfig config;
    private final ClipTextEncoder text;
    private final ClipVisionEncoder vision;
    private final Linear textProjection;
    private final Linear visualProjection;
    private final float logitScale;
    private final ClipTokenizer tokenizer;
    private final ClipImageProcessor processor;

    private ClipModel(NDManager manager, ClipConfig config, ClipTextEncoder text, ClipVisionEncoder vision,
                      Linear textProjection, Linear visualProjection, float logitScale, ClipTokenizer tokenizer,
                      ClipImageProcessor processor) {
        this.manager = manager;
        this.config = config;
        this.text = text;
        this.vision = vision;
        this.textProjection = textProjection;
        this.visualProjection = visualProjection;
        this.logitScale = logitScale;
        this.tokenizer = tokenizer;
        this.processor = processor;
    }

    public static ClipModel load(Path folder, Device device, DataType dtype) {
        return load(folder, device, dtype, WeightSource.FILES);
    }

    /** As {@link #load(Path, Device, DataType)} with the tensors from {@code source}. */
    public static ClipModel load(Path folder, Device device, DataType dtype, WeightSource source) {
        NDManager manager = org.editstream.models.Resident.manager(device);
        try {
            ClipConfig config = ModelFolder.config(folder, ClipConfig.class);
            WeightSet weights = source.open(manager, folder, dtype, UnaryOperator.identity());
            Parameters p = weights.root();
            ClipTextEncoder text = new ClipTextEncoder(p.child("text_model"), config.textConfig());
            ClipVisionEncoder vision = new ClipVisionEncoder(p.child("vision_model"), config.visionConfig());
            Linear textProjection = new Linear(p.child("text_projection"), config.textConfig().hiddenSize(),
                    config.projectionDim(), false);
            Linear visualProjection = new Linear(p.child("visual_projection"), config.visionConfig().hiddenSize(),
                    config.projectionDim(), false);
            float logitScale = p.get("logit_scale").toType(DataType.FLOAT32, false).getFloat();
            weights.requireAllUsed(List.of("text_model.embeddings.position_ids", "vision_model.embeddings.position_ids"));
            Path tokenizerFolder = Files.isDirectory(folder.resolve("tokenizer")) ? folder.resolve("tokenizer") : folder;
            return new ClipModel(manager, config, text, vision, textProjection, visualProjection, logitScale,
                    ClipTokenizer.load(tokenizerFolder), ClipImageProcessor.load(folder));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public ClipConfig config() {
        return config;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    public ClipImageProcessor processor() {
        return processor;
    }

    public NDManager manager() {
        return manager;
    }

    /** Projected image features [N, projection] of preprocessed pixel values. */
    public NDArray imageFeatures(NDArray pixelValues) {
        return Scoped.apply(in -> visualProjection.forward(vision.pooled(in[0])), pixelValues);
    }

    /** Projected text features [N, projection] of token ids [N, T]. */
    public NDArray textFeatures(NDArray ids) {
        return Scoped.apply(in -> textProjection.forward(text.pooled(text.encode(in[0]), in[0])), ids);
    }

    /** Image features of images (preprocessed here). */
    public NDArray imageFeatures(NDManager m, List<BufferedImage> images) {
        NDArray pixels = processor.pixelValues(m, images);
        NDArray features = imageFeatures(pixels);
        pixels.close();
        return features;
    }

    /** Text features of texts (tokenised here). */
    public NDArray textFeatures(NDManager m, List<String> texts) {
        long[][] ids = new long[texts.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(texts.get(i));
        }
        NDArray tokens = m.create(ids);
        NDArray features = textFeatures(tokens);
        tokens.close();
        return features;
    }

    /** Rows scaled to unit length. */
    public static NDArray normalize(NDArray features) {
        return features.div(features.norm(new int[] {-1}, true));
    }

    /** exp(logit_scale) * image_embeds . text_embeds^T, [images, texts]. */
    public NDArray logitsPerImage(NDArray imageEmbeds, NDArray textEmbeds) {
        return imageEmbeds.matMul(textEmbeds.transpose()).mul((float) Math.exp(logitScale));
    }

    @Override
    public void close() {
        manager.close();
    }
}
