package org.editstream.recipes;

import org.editstream.perception.ObjectGrounder;
import org.editstream.perception.SamGrounder;
import org.editstream.perception.SamHost;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * The grounder of a deployment, as every stage that finds objects opens it (the region, background, detect, segment
 * and pose recipes, and the detector check): a class and the models folder it is handed, and for the built-in
 * {@link GroundingDinoGrounder} its box and text thresholds. Travels with the job; opened in each TaskManager.
 *
 * @param className     an {@link ObjectGrounder} class ({@link ObjectGrounder#load})
 * @param models        the models folder the grounder is handed, or null
 * @param boxThreshold  the built-in grounder's box threshold (a third-party grounder keeps its own)
 * @param textThreshold the built-in grounder's text threshold
 */
public record GrounderSpec(String className, String models, float boxThreshold, float textThreshold) implements Serializable {
    public GrounderSpec {
        if (className == null || className.isBlank()) {
            throw new IllegalArgumentException("a grounder needs its class");
        }
        checkThreshold("box", boxThreshold);
        checkThreshold("text", textThreshold);
    }

    private static void checkThreshold(String which, float value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException("the " + which + " threshold must lie in [0, 1), got " + value);
        }
    }

    public boolean builtIn() {
        return GroundingDinoGrounder.class.getName().equals(className);
    }

    /** The grounder's own boxes, with its box-filled (or own) segmentations: what the pose task and the detector check need. */
    public ObjectGrounder boxes() {
        Path folder = models == null ? null : Path.of(models);
        return builtIn() ? new GroundingDinoGrounder(folder, boxThreshold, textThreshold) : ObjectGrounder.load(className, folder);
    }

    /** The grounder's boxes, segmented by SAM when the models folder has it (Emu Edit's grounding), else {@link #boxes()}. */
    public ObjectGrounder withMasks() {
        ObjectGrounder boxes = boxes();
        Path sam = new ModelsFolder(models).folderOf(ModelsFolder.Family.SAM);
        return sam == null ? boxes : new SamGrounder(boxes, SamHost.forFolder(sam));
    }

    /** For start-up lines: the class, and the built-in grounder's thresholds. */
    public String describe() {
        return builtIn() ? "Grounding DINO (box threshold " + boxThreshold + ", text threshold " + textThreshold + ")" : className;
    }
}
