package org.editstream.perception;

import org.editstream.imaging.Masks;
import org.editstream.schema.Task;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Emu Edit's detector filter: the grounder that found the objects looks again at the finished pair.
 * <ul>
 *   <li>add: the added object is found in the edited image and not in the input;</li>
 *   <li>remove: the removed object is found in the input and not in the edited image;</li>
 *   <li>local: in the edited image, where the edit's mask is, the edited object is found and the original is not
 *       (both names grounded in one pass over the image).</li>
 * </ul>
 * An instance is "where the mask is" when its box and the mask's bounds overlap by at least {@link #OVERLAP} of the
 * smaller of the two: the edited object may be larger or smaller than the one it replaced.
 */
public final class DetectorCheck {
    public static final Set<Task> JUDGED = EnumSet.of(Task.ADD, Task.REMOVE, Task.LOCAL);
    /** The least overlap of an instance's box and the mask's bounds, as a fraction of the smaller. */
    public static final double OVERLAP = 0.5;

    /**
     * @param passed  the decision
     * @param present the score of the object that must be found: its best instance that counts; when the grounder
     *                found none anywhere, its best score below the threshold (NaN when it does not say); when it found
     *                some, but none where the mask is, 0
     * @param absent  the same for the object that must not be found
     */
    public record Verdict(boolean passed, double present, double absent) {
    }

    private final ObjectGrounder grounder;

    public DetectorCheck(ObjectGrounder grounder) {
        this.grounder = grounder;
    }

    /** Whether the check judges a sample of this task with these objects (the objects its task needs are named). */
    public static boolean judges(Task task, String originalObject, String editedObject) {
        return switch (task) {
            case ADD -> named(editedObject);
            case REMOVE -> named(originalObject);
            case LOCAL -> named(originalObject) && named(editedObject);
            default -> false;
        };
    }

    private static boolean named(String object) {
        return object != null && !object.isBlank();
    }

    /**
     * @param mask the edit's mask (at the input's size, set where the edit is), or null: then all of the image
     *             counts as the place of a local edit
     */
    public Verdict judge(Task task, BufferedImage input, BufferedImage edited, String originalObject, String editedObject,
                         BufferedImage mask) {
        if (!judges(task, originalObject, editedObject)) {
            throw new IllegalArgumentException("the detector check does not judge " + task + " with objects "
                    + originalObject + " -> " + editedObject);
        }
        return switch (task) {
            case ADD -> presentOnlyIn(grounder.groundAll(edited, editedObject), grounder.groundAll(input, editedObject));
            case REMOVE -> presentOnlyIn(grounder.groundAll(input, originalObject), grounder.groundAll(edited, originalObject));
            case LOCAL -> replaced(edited, originalObject, editedObject, mask);
            default -> throw new IllegalStateException("unreachable: " + task);
        };
    }

    private static Verdict presentOnlyIn(ObjectGrounder.Detections present, ObjectGrounder.Detections absent) {
        return new Verdict(!present.found().isEmpty() && absent.found().isEmpty(), score(present, present.found()),
                score(absent, absent.found()));
    }

    private Verdict replaced(BufferedImage edited, String originalObject, String editedObject, BufferedImage mask) {
        Rectangle place = place(mask, edited);
        List<ObjectGrounder.Detections> found = grounder.groundEach(edited, List.of(editedObject, originalObject));
        List<ObjectGrounder.Grounding> editedThere = at(found.get(0), place);
        List<ObjectGrounder.Grounding> originalThere = at(found.get(1), place);
        return new Verdict(!editedThere.isEmpty() && originalThere.isEmpty(), score(found.get(0), editedThere),
                score(found.get(1), originalThere));
    }

    /** The mask's bounds in the edited image's pixels; all of the image without a mask (or with an empty one). */
    private static Rectangle place(BufferedImage mask, BufferedImage edited) {
        Rectangle all = new Rectangle(0, 0, edited.getWidth(), edited.getHeight());
        Optional<Rectangle> bounds = mask == null ? Optional.empty() : Masks.bounds(mask);
        if (bounds.isEmpty()) {
            return all;
        }
        Rectangle b = bounds.get();
        double sx = (double) edited.getWidth() / mask.getWidth();
        double sy = (double) edited.getHeight() / mask.getHeight();
        return new Rectangle((int) Math.floor(b.x * sx), (int) Math.floor(b.y * sy), (int) Math.ceil(b.width * sx),
                (int) Math.ceil(b.height * sy));
    }

    private static List<ObjectGrounder.Grounding> at(ObjectGrounder.Detections detections, Rectangle place) {
        return detections.found().stream().filter(g -> overlaps(g.box(), place)).toList();
    }

    /** Whether the two rectangles overlap by at least {@link #OVERLAP} of the smaller one's area. */
    static boolean overlaps(Rectangle box, Rectangle place) {
        Rectangle common = box.intersection(place);
        if (common.isEmpty()) {
            return false;
        }
        double smaller = Math.min((double) box.width * box.height, (double) place.width * place.height);
        return (double) common.width * common.height >= OVERLAP * smaller;
    }

    private static double score(ObjectGrounder.Detections detections, List<ObjectGrounder.Grounding> counting) {
        if (!counting.isEmpty()) {
            return counting.stream().mapToDouble(ObjectGrounder.Grounding::score).max().orElseThrow();
        }
        return detections.found().isEmpty() ? detections.bestScore() : 0;
    }

    /** The grounder's model ids, for the samples' records. */
    public String id() {
        return grounder.id();
    }
}
