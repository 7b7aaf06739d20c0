package org.editstream.tasks;

import org.editstream.schema.Task;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.editstream.tasks.Capability.CLIP;
import static org.editstream.tasks.Capability.DEPTH;
import static org.editstream.tasks.Capability.DIFFUSION;
import static org.editstream.tasks.Capability.EDGE_DETECTOR;
import static org.editstream.tasks.Capability.FONTS;
import static org.editstream.tasks.Capability.GROUNDING;
import static org.editstream.tasks.Capability.INPAINTING;
import static org.editstream.tasks.Capability.LLM;
import static org.editstream.tasks.Capability.OCR;
import static org.editstream.tasks.Capability.POSE;
import static org.editstream.tasks.Capability.SEGMENTATION;
import static org.editstream.tasks.Capability.SEGMENTATION_MAP;

/** The 16 tasks of DESIGN.md, in index order (the index is the {@link Task} ordinal). */
public final class TaskCatalogue {
    private static final Map<Task, TaskDefinition> DEFINITIONS = new EnumMap<>(Task.class);

    static {
        define(Task.LOCAL, TaskGroup.REGION, Set.of(LLM, DIFFUSION, GROUNDING, SEGMENTATION),
                "mask the original object; attention control towards the output caption");
        define(Task.REMOVE, TaskGroup.REGION, Set.of(LLM, DIFFUSION, GROUNDING, SEGMENTATION),
                "as local, the output caption lacks the object");
        define(Task.ADD, TaskGroup.REGION, Set.of(LLM, DIFFUSION, GROUNDING, SEGMENTATION),
                "image from the output caption, mask the added object, attention control back to the input caption");
        define(Task.TEXTURE, TaskGroup.REGION, Set.of(LLM, DIFFUSION, GROUNDING, SEGMENTATION),
                "as local, the instruction changes material or texture");
        define(Task.BACKGROUND, TaskGroup.REGION, Set.of(LLM, INPAINTING, GROUNDING, SEGMENTATION, CLIP),
                "inpaint the background mask, blend, best of 10 by CLIP");
        define(Task.GLOBAL, TaskGroup.FREE_FORM, Set.of(DIFFUSION), "attention control with a blank mask");
        define(Task.STYLE, TaskGroup.FREE_FORM, Set.of(LLM, DIFFUSION), "DDIM inversion + Plug-and-Play injection");
        define(Task.TEXT, TaskGroup.FREE_FORM, Set.of(OCR, FONTS),
                "OCR finds text, inpaint it away; add, remove or replace with rendered text");
        define(Task.DETECT, TaskGroup.VISION, Set.of(GROUNDING), "draw the grounded boxes of the named object");
        define(Task.SEGMENT, TaskGroup.VISION, Set.of(GROUNDING, SEGMENTATION), "paint the pixels of the named object");
        define(Task.COLOR, TaskGroup.VISION, Set.of(),
                "brightness, contrast, saturation, hue, blur, sharpen, defocus");
        define(Task.SKETCH, TaskGroup.TRANSLATION, Set.of(EDGE_DETECTOR), "image <-> sketch");
        define(Task.DEPTH, TaskGroup.TRANSLATION, Set.of(DEPTH), "image <-> depth map");
        define(Task.NORMAL, TaskGroup.TRANSLATION, Set.of(DEPTH), "image <-> normal map from depth");
        define(Task.POSE, TaskGroup.TRANSLATION, Set.of(POSE, GROUNDING), "image <-> human pose skeleton of the grounded persons");
        define(Task.SEGMAP, TaskGroup.TRANSLATION, Set.of(SEGMENTATION_MAP), "image <-> semantic segmentation map");
    }

    private TaskCatalogue() {
    }

    private static void define(Task task, TaskGroup group, Set<Capability> needs, String howMade) {
        DEFINITIONS.put(task, new TaskDefinition(task, group, needs, howMade));
    }

    /**
     * Tasks whose recipes make the same kind of pair, so a sample of one can be relabelled as the other when its
     * instruction reads as that task: an object changed in place under attention control (local, texture), and
     * the whole image changed with its layout kept (global, style). Every other task's pair is its own kind.
     */
    private static final List<Set<Task>> SAME_PAIR_KIND = List.of(Set.of(Task.LOCAL, Task.TEXTURE), Set.of(Task.GLOBAL, Task.STYLE));

    public static boolean samePairKind(Task a, Task b) {
        return a == b || SAME_PAIR_KIND.stream().anyMatch(kind -> kind.contains(a) && kind.contains(b));
    }

    public static TaskDefinition of(Task task) {
        return DEFINITIONS.get(task);
    }

    public static List<TaskDefinition> all() {
        return List.copyOf(DEFINITIONS.values());
    }

    public static String nameOf(Task task) {
        return task.name().toLowerCase(Locale.ROOT);
    }

    /** Parses a task name as users write it ("color", "COLOR", " Color "); empty when it names no task. */
    public static Optional<Task> byName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String wanted = name.strip().toUpperCase(Locale.ROOT);
        for (Task task : Task.values()) {
            if (task.name().equals(wanted)) {
                return Optional.of(task);
            }
        }
        return Optional.empty();
    }
}
