package org.editstream.recipes;

import org.editstream.tasks.Capability;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What a models folder ({@code --models DIR}) holds: one sub-folder per model family, each recognised by the files its
 * layout has, and the capabilities each gives. The one place that knows the sub-folder names.
 *
 * @param root the folder, or null for none (nothing found)
 */
public record ModelsFolder(String root) implements Serializable {
    /** The model families a models folder may hold. */
    public enum Family {
        /** A text-to-image pipeline in the diffusers layout. */
        DIFFUSION("diffusion", Set.of(Capability.DIFFUSION)),
        /** An inpainting pipeline, or only its UNet (the rest is the diffusion pipeline's). */
        INPAINTING("inpainting", Set.of(Capability.INPAINTING)),
        /** A CLIPModel: the CLIP filters. */
        CLIP("clip", Set.of(Capability.CLIP)),
        /** Segment Anything: the region masks of grounded objects. */
        SAM("sam", Set.of(Capability.SEGMENTATION)),
        /** Depth Anything V2: the depth and normal tasks and the structure filter. */
        DEPTH("depth", Set.of(Capability.DEPTH)),
        /** A DINOv2 backbone: DINO similarity. */
        DINO("dino", Set.of()),
        /** ViTPose: the pose task (with a grounder for the person boxes). */
        POSE("pose", Set.of(Capability.POSE)),
        /** SegFormer fine-tuned on ADE20K: the segmentation-map task. */
        SEGMAP("segmap", Set.of(Capability.SEGMENTATION_MAP)),
        /** Grounding DINO: the built-in object grounder (boxes of named objects). */
        GROUNDING("grounding-dino", Set.of(Capability.GROUNDING));

        private final String folder;
        private final Set<Capability> gives;

        Family(String folder, Set<Capability> gives) {
            this.folder = folder;
            this.gives = gives;
        }

        /** The sub-folder's name. */
        public String folderName() {
            return folder;
        }

        public Set<Capability> gives() {
            return gives;
        }

        /** Whether {@code dir} holds a model of this family, in its layout. */
        public boolean recognises(Path dir) {
            return switch (this) {
                case DIFFUSION -> Files.isRegularFile(dir.resolve("model_index.json"));
                case INPAINTING -> Files.isRegularFile(dir.resolve("model_index.json"))
                        || Files.isRegularFile(dir.resolve("unet").resolve("config.json"));
                case CLIP -> Files.isRegularFile(dir.resolve("config.json"));
                case SAM, DEPTH, DINO, POSE, SEGMAP -> Files.isRegularFile(dir.resolve("config.json"))
                        && Files.isRegularFile(dir.resolve("model.safetensors"));
                case GROUNDING -> Files.isRegularFile(dir.resolve("config.json"))
                        && Files.isRegularFile(dir.resolve("model.safetensors")) && Files.isRegularFile(dir.resolve("vocab.txt"));
            };
        }
    }

    public static ModelsFolder none() {
        return new ModelsFolder(null);
    }

    /** The family's sub-folder when it holds a model in its layout. */
    public Optional<Path> find(Family family) {
        if (root == null) {
            return Optional.empty();
        }
        Path dir = Path.of(root, family.folderName());
        return Files.isDirectory(dir) && family.recognises(dir) ? Optional.of(dir) : Optional.empty();
    }

    /** The family's sub-folder, or null when it holds no model. */
    public Path folderOf(Family family) {
        return find(family).orElse(null);
    }

    public boolean has(Family family) {
        return find(family).isPresent();
    }

    /** The capabilities the models found give. */
    public Set<Capability> capabilities() {
        Set<Capability> found = EnumSet.noneOf(Capability.class);
        for (Family family : Family.values()) {
            if (has(family)) {
                found.addAll(family.gives());
            }
        }
        return found;
    }

    /** One start-up line: which families were found where, and which were looked for in vain. */
    public String describe() {
        if (root == null) {
            return "Models: none (no --models folder)";
        }
        List<String> found = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Family family : Family.values()) {
            (has(family) ? found : missing).add(family.folderName() + "/");
        }
        return "Models in " + root + ": " + (found.isEmpty() ? "none found" : String.join(", ", found))
                + (missing.isEmpty() ? "" : " (not found: " + String.join(", ", missing) + ")");
    }
}
