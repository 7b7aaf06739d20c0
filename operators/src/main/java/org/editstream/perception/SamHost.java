package org.editstream.perception;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.Masks;
import org.editstream.models.Devices;
import org.editstream.models.sam.SegmentAnything;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Segment Anything per JVM and folder ({@link ModelHost}). A request is one image and its prompts: the image is embedded
 * once and every prompt decoded on that embedding; the images of a batch go through the image encoder in one pass.
 */
public final class SamHost extends ModelHost<SamHost.Request, List<SamHost.Mask>> {
    public static final int MAX_BATCH = 4;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    private static final Map<String, SamHost> HOSTS = new ConcurrentHashMap<>();

    /** One image and the prompts to answer on it (in the image's pixels). */
    public record Request(BufferedImage image, List<SegmentAnything.Prompt> prompts) {
        public Request {
            prompts = List.copyOf(prompts);
        }
    }

    /** A prompt's mask (TYPE_BYTE_GRAY, 255 inside) at the image's size and its predicted IoU. */
    public record Mask(BufferedImage mask, double iou) {
    }

    private final SegmentAnything model;

    private SamHost(SegmentAnything model, String id) {
        super(id, "sam", MAX_BATCH, MAX_WAIT, r -> "images");
        this.model = model;
    }

    /** The host of a SAM folder, loaded on first use. */
    public static SamHost forFolder(Path folder) {
        return perFolder(HOSTS, folder, f -> new SamHost(SegmentAnything.load(f, Devices.named("auto"), DataType.FLOAT32),
                "segment-anything " + f.getFileName()));
    }

    /** One mask per prompt: a multimask prompt's best by predicted IoU. */
    public CompletableFuture<List<Mask>> segment(BufferedImage image, List<SegmentAnything.Prompt> prompts) {
        return submit(new Request(image, prompts));
    }

    /** {@link #segment}, waiting for its batch; a model failure is rethrown as it was thrown. */
    public List<Mask> segmentNow(BufferedImage image, List<SegmentAnything.Prompt> prompts) {
        return await(new Request(image, prompts));
    }

    @Override
    List<List<Mask>> run(List<Request> batch) {
        try (NDManager m = model.manager().newSubManager()) {
            List<SegmentAnything.Embedding> embeddings = model.embedAll(m, batch.stream().map(Request::image).toList());
            List<List<Mask>> out = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                List<Mask> masks = new ArrayList<>();
                for (SegmentAnything.Prompt prompt : batch.get(i).prompts()) {
                    try (SegmentAnything.Masks answer = model.segment(embeddings.get(i), prompt)) {
                        masks.add(best(answer, embeddings.get(i)));
                    }
                }
                out.add(masks);
            }
            return out;
        }
    }

    private static Mask best(SegmentAnything.Masks answer, SegmentAnything.Embedding image) {
        float[] iou = answer.iou();
        int best = 0;
        for (int k = 1; k < iou.length; k++) {
            if (iou[k] > iou[best]) {
                best = k;
            }
        }
        float[] logits = answer.logits().get(best).toType(DataType.FLOAT32, false).toFloatArray();
        return new Mask(Masks.ofLogits(logits, image.width(), image.height()), iou[best]);
    }
}
