package org.editstream.perception;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Finds a named object in an image: its box and its segmentation, as a grounding model (Grounding DINO) and a
 * segmentation model (SAM) give them. The region and background recipes take their masks through this port;
 * a deployment names its implementation by class ({@link #load}).
 */
public interface ObjectGrounder {
    /**
     * @param box          the object's bounding box in image pixels
     * @param segmentation a single-channel mask of the image's size, object pixels set (>= 128)
     * @param score        the grounder's confidence in [0, 1]
     */
    record Grounding(Rectangle box, BufferedImage segmentation, double score) {
    }

    /**
     * Every instance found, best first, and the grounder's best score over all it considered, also when none passed
     * its threshold.
     *
     * @param bestScore NaN when the grounder does not say
     */
    record Detections(List<Grounding> found, double bestScore) {
        public Detections {
            found = List.copyOf(found);
        }
    }

    /** The object's grounding, or empty when the image does not show it. */
    Optional<Grounding> ground(BufferedImage image, String objectName);

    /**
     * Every instance of the object in the image (the pose task poses every person). A grounder that finds one
     * instance at a time answers with its {@link #ground} alone.
     */
    default Detections groundAll(BufferedImage image, String objectName) {
        Optional<Grounding> best = ground(image, objectName);
        return new Detections(best.stream().toList(), best.map(Grounding::score).orElse(Double.NaN));
    }

    /**
     * Each of several objects in one image, in the names' order (the detector check looks for the original and the
     * edited object in the same image). A grounder that can read several names in one pass over the image does so;
     * by default each name is grounded on its own.
     */
    default List<Detections> groundEach(BufferedImage image, List<String> objectNames) {
        return objectNames.stream().map(name -> groundAll(image, name)).toList();
    }

    /** Model ids for the samples' records. */
    String id();

    /**
     * The grounder a deployment names by class: a public class implementing this interface, with a public
     * constructor taking the models folder ({@code Path}, possibly null) or none.
     */
    static ObjectGrounder load(String className, Path models) {
        Class<?> type;
        try {
            type = Class.forName(className, true, Thread.currentThread().getContextClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("grounder class " + className + " is not on the class path", e);
        }
        if (!ObjectGrounder.class.isAssignableFrom(type)) {
            throw new IllegalArgumentException("grounder class " + className + " does not implement " + ObjectGrounder.class.getName());
        }
        try {
            try {
                return (ObjectGrounder) type.getConstructor(Path.class).newInstance(models);
            } catch (NoSuchMethodException e) {
                return (ObjectGrounder) type.getConstructor().newInstance();
            }
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException("grounder class " + className
                    + " has neither a public (Path models) nor a public no-argument constructor", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("grounder " + className + " failed to start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("grounder class " + className + " cannot be instantiated: " + e, e);
        }
    }
}
