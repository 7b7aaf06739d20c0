package org.editstream.perception;

import org.editstream.models.sam.SegmentAnything;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Emu Edit's grounding: a grounder finds the named object's boxes, and Segment Anything segments each box. A
 * segmentation is SAM's best of its three masks for the box by predicted IoU; scores stay the grounder's, and so
 * does its best score when nothing is found.
 */
public final class SamGrounder implements ObjectGrounder {
    private final ObjectGrounder boxes;
    private final SamHost sam;

    public SamGrounder(ObjectGrounder boxes, SamHost sam) {
        this.boxes = boxes;
        this.sam = sam;
    }

    @Override
    public Optional<Grounding> ground(BufferedImage image, String objectName) {
        return groundAll(image, objectName).found().stream().findFirst();
    }

    @Override
    public Detections groundAll(BufferedImage image, String objectName) {
        return groundEach(image, List.of(objectName)).get(0);
    }

    /**
     * Every box the grounder finds for the names, segmented in one SAM request: the image is embedded once for all
     * its boxes, whatever name found them.
     */
    @Override
    public List<Detections> groundEach(BufferedImage image, List<String> objectNames) {
        List<Detections> boxes = this.boxes.groundEach(image, objectNames);
        List<SegmentAnything.Prompt> prompts = new ArrayList<>();
        for (Detections d : boxes) {
            for (Grounding g : d.found()) {
                Rectangle box = g.box();
                prompts.add(SegmentAnything.Prompt.box(box.x, box.y, box.x + box.width, box.y + box.height, true));
            }
        }
        List<SamHost.Mask> masks = prompts.isEmpty() ? List.of() : sam.segmentNow(image, prompts);
        List<Detections> out = new ArrayList<>(boxes.size());
        int k = 0;
        for (Detections d : boxes) {
            List<Grounding> segmented = new ArrayList<>(d.found().size());
            for (Grounding g : d.found()) {
                segmented.add(new Grounding(g.box(), masks.get(k++).mask(), g.score()));
            }
            out.add(new Detections(segmented, d.bestScore()));
        }
        return out;
    }

    @Override
    public String id() {
        return boxes.id() + " + " + sam.id();
    }
}
