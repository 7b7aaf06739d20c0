package org.editstream.perception;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.Optional;

/**
 * Finds a named object in an image: its box and its segmentation, as a grounding model (Grounding DINO) and a
 * segmentation model (SAM) give them. The region recipes take their masks through this port; the perception
 * issue brings the models behind it.
 */
public interface ObjectGrounder {
    /**
     * @param box          the object's bounding box in image pixels
     * @param segmentation a single-channel mask of the image's size, object pixels set (>= 128)
     * @param score        the grounder's confidence in [0, 1]
     */
    record Grounding(Rectangle box, BufferedImage segmentation, double score) {
    }

    /** The object's grounding, or empty when the image does not show it. */
    Optional<Grounding> ground(BufferedImage image, String objectName);

    /** Model ids for the samples' records. */
    String id();
}
