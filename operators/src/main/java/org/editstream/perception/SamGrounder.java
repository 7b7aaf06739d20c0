package org.editstream.perception;

import org.editstream.models.sam.SegmentAnything;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Optional;

/**
 * Emu Edit's grounding: a grounder finds the named object's box, and Segment Anything segments that box. The
 * segmentation is SAM's best of its three masks for the box by predicted IoU; the score stays the grounder's.
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
        Optional<Grounding> found = boxes.ground(image, objectName);
        if (found.isEmpty()) {
            return found;
        }
        Rectangle box = found.get().box();
        SegmentAnything.Prompt prompt = SegmentAnything.Prompt.box(box.x, box.y, box.x + box.width, box.y + box.height, true);
        SamHost.Mask mask = sam.segmentNow(image, List.of(prompt)).get(0);
        return Optional.of(new Grounding(box, mask.mask(), found.get().score()));
    }

    @Override
    public String id() {
        return boxes.id() + " + " + sam.id();
    }
}
