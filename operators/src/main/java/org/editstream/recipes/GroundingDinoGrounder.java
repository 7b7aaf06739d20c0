package org.editstream.recipes;

import org.editstream.models.gdino.GroundingDino;
import org.editstream.models.gdino.GroundingText;
import org.editstream.perception.GroundingHost;
import org.editstream.perception.ObjectGrounder;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The built-in grounder: Grounding DINO from the models folder's {@code grounding-dino/} (the Hugging Face layout).
 * The object's name is the caption's one phrase; every box whose best token passes {@link #BOX_THRESHOLD} is an
 * instance, best first. Its segmentation is the box filled; with a SAM model the recipes segment the box
 * ({@link org.editstream.perception.SamGrounder}).
 */
public final class GroundingDinoGrounder implements ObjectGrounder {
    /** The reference demo's thresholds (Grounding DINO's README): box 0.35, text 0.25. */
    public static final float BOX_THRESHOLD = 0.35f;
    public static final float TEXT_THRESHOLD = 0.25f;

    private final GroundingHost host;
    private final float boxThreshold;
    private final float textThreshold;

    /** The grounder of a models folder at the published thresholds; fails when it holds no Grounding DINO. */
    public GroundingDinoGrounder(Path models) {
        this(models, BOX_THRESHOLD, TEXT_THRESHOLD);
    }

    /** The grounder of a models folder at these thresholds; fails when it holds no Grounding DINO. */
    public GroundingDinoGrounder(Path models, float boxThreshold, float textThreshold) {
        this(GroundingHost.forFolder(new ModelsFolder(models == null ? null : models.toString())
                .find(ModelsFolder.Family.GROUNDING).orElseThrow(() -> new IllegalArgumentException(
                        "no Grounding DINO in " + models + "/" + ModelsFolder.Family.GROUNDING.folderName()))),
                boxThreshold, textThreshold);
    }

    GroundingDinoGrounder(GroundingHost host, float boxThreshold, float textThreshold) {
        this.host = host;
        this.boxThreshold = boxThreshold;
        this.textThreshold = textThreshold;
    }

    @Override
    public Optional<Grounding> ground(BufferedImage image, String objectName) {
        return groundAll(image, objectName).found().stream().findFirst();
    }

    @Override
    public Detections groundAll(BufferedImage image, String objectName) {
        GroundingHost.Found found = host.groundNow(new GroundingHost.Request(image,
                GroundingText.caption(List.of(objectName)), boxThreshold, textThreshold));
        return new Detections(bestFirst(found.boxes(), image), found.bestScore());
    }

    /**
     * Several names in one pass: the caption names them all ("a cat. a dog."), and each name's instances are the
     * queries whose score for its phrase ({@link GroundingDino#phraseScores}) passes the box threshold. One name is
     * {@link #groundAll}, the reference's reading of a one-phrase caption.
     */
    @Override
    public List<Detections> groundEach(BufferedImage image, List<String> objectNames) {
        if (objectNames.size() == 1) {
            return List.of(groundAll(image, objectNames.get(0)));
        }
        GroundingHost.Found found = host.groundNow(new GroundingHost.Request(image, GroundingText.caption(objectNames),
                boxThreshold, textThreshold));
        if (found.phraseScores().length != objectNames.size()) {
            throw new IllegalArgumentException("the names " + objectNames + " do not read as " + objectNames.size()
                    + " phrases (a name holds a '.' or '?', or the caption is cut at the model's text length)");
        }
        List<Detections> each = new ArrayList<>(objectNames.size());
        for (int p = 0; p < objectNames.size(); p++) {
            float[] scores = found.phraseScores()[p];
            List<GroundingDino.Box> boxes = new ArrayList<>();
            double best = 0;
            for (int q = 0; q < scores.length; q++) {
                best = Math.max(best, scores[q]);
                if (scores[q] > boxThreshold) {
                    boxes.add(new GroundingDino.Box(scores[q], found.corners()[q], objectNames.get(p)));
                }
            }
            each.add(new Detections(bestFirst(boxes, image), best));
        }
        return each;
    }

    private static List<Grounding> bestFirst(List<GroundingDino.Box> boxes, BufferedImage image) {
        return boxes.stream()
                .sorted(Comparator.comparingDouble(GroundingDino.Box::score).reversed())
                .map(b -> toGrounding(b, image.getWidth(), image.getHeight()))
                .flatMap(Optional::stream)
                .toList();
    }

    /** The box in whole pixels inside the image, and its filled mask; empty when nothing of it is inside. */
    static Optional<Grounding> toGrounding(GroundingDino.Box box, int width, int height) {
        float[] c = box.corners();
        int x0 = Math.max(0, Math.round(c[0]));
        int y0 = Math.max(0, Math.round(c[1]));
        int x1 = Math.min(width, Math.round(c[2]));
        int y1 = Math.min(height, Math.round(c[3]));
        if (x1 <= x0 || y1 <= y0) {
            return Optional.empty();
        }
        Rectangle rectangle = new Rectangle(x0, y0, x1 - x0, y1 - y0);
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        g.setColor(Color.WHITE);
        g.fill(rectangle);
        g.dispose();
        return Optional.of(new Grounding(rectangle, mask, box.score()));
    }

    @Override
    public String id() {
        return host.id();
    }
}
