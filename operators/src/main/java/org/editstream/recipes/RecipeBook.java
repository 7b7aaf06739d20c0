package org.editstream.recipes;

import org.editstream.imaging.TextRenderer;
import org.editstream.perception.DepthHost;
import org.editstream.perception.ObjectGrounder;
import org.editstream.perception.PoseHost;
import org.editstream.perception.SegmapHost;
import org.editstream.perception.Tessdata;
import org.editstream.perception.TesseractTextRecognizer;
import org.editstream.schema.Task;
import org.editstream.tasks.Capability;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The recipes of this build, opened with the tools this deployment has. Knows which capabilities are
 * present (so the job can disable the tasks that lack theirs) and owns the native resources recipes hold.
 */
public final class RecipeBook implements AutoCloseable {
    /** Tasks whose pairs a diffusion model generates (the generation operator, not this book, runs them). */
    public static final Set<Task> GENERATED = EnumSet.of(Task.GLOBAL, Task.STYLE, Task.LOCAL, Task.TEXTURE, Task.REMOVE,
            Task.ADD, Task.BACKGROUND);
    /** Tasks that have a recipe class in this build. */
    public static final Set<Task> TASKS_WITH_RECIPE = EnumSet.of(Task.COLOR, Task.SKETCH, Task.TEXT, Task.GLOBAL, Task.STYLE,
            Task.LOCAL, Task.TEXTURE, Task.REMOVE, Task.ADD, Task.BACKGROUND, Task.DEPTH, Task.NORMAL, Task.POSE, Task.SEGMAP,
            Task.DETECT, Task.SEGMENT);

    private final Map<Task, Recipe> recipes;
    private final TesseractTextRecognizer ocr;

    private RecipeBook(Map<Task, Recipe> recipes, TesseractTextRecognizer ocr) {
        this.recipes = recipes;
        this.ocr = ocr;
    }

    /**
     * Where the tools and models recipes use are found.
     *
     * @param tessdata        Tesseract's data folder, or null to search the usual places
     * @param models          folder of model folders ({@link ModelsFolder}), or null for none
     * @param diffusionSteps  DDIM steps of generated pairs
     * @param grounder        the {@link org.editstream.perception.ObjectGrounder} class the region and background
     *                        recipes ground objects with, or null for none (those tasks are disabled then)
     * @param generationBatch pairs per UNet pass and requests per generation batch, or {@link GenerationBatch#AUTO}
     * @param regionGivenImage whether local, texture and remove edit the caption's own image when it has one (DDIM
     *                        inversion) rather than one generated from the input caption
     * @param boxThreshold    the built-in grounder's box threshold ({@link GrounderSpec})
     * @param textThreshold   its text threshold
     */
    public record Tools(String tessdata, String models, int diffusionSteps, String grounder, int generationBatch,
                        boolean regionGivenImage, float boxThreshold, float textThreshold) implements Serializable {
        /** How long a generation batch waits to fill after its oldest request arrived. */
        public static final Duration GENERATION_WAIT = Duration.ofMillis(50);

        public Tools {
            if (diffusionSteps < 1) {
                throw new IllegalArgumentException("diffusion steps must be positive, got " + diffusionSteps);
            }
            if (generationBatch < 1 && generationBatch != GenerationBatch.AUTO) {
                throw new IllegalArgumentException("the generation batch must be at least 1 (or auto), got " + generationBatch);
            }
            new GrounderSpec(GroundingDinoGrounder.class.getName(), models, boxThreshold, textThreshold); // the thresholds' checks
        }

        public Tools(String tessdata, String models, int diffusionSteps) {
            this(tessdata, models, diffusionSteps, null, 1, false);
        }

        /** Tools whose built-in grounder keeps its published thresholds. */
        public Tools(String tessdata, String models, int diffusionSteps, String grounder, int generationBatch,
                     boolean regionGivenImage) {
            this(tessdata, models, diffusionSteps, grounder, generationBatch, regionGivenImage,
                    GroundingDinoGrounder.BOX_THRESHOLD, GroundingDinoGrounder.TEXT_THRESHOLD);
        }

        /** What the generation host of these tools loads (the diffusion folder must exist). */
        public GenerationHost.Settings generation() {
            ModelsFolder found = modelsFolder();
            return new GenerationHost.Settings(diffusionFolder(), found.folderOf(ModelsFolder.Family.INPAINTING), clipFolder(),
                    grounding(), diffusionSteps, generationBatch, GENERATION_WAIT, regionGivenImage);
        }

        /** The grounder of these tools ({@link #grounderClass()} with the models folder and thresholds), or null. */
        public GrounderSpec grounding() {
            String type = grounderClass();
            return type == null ? null : new GrounderSpec(type, models, boxThreshold, textThreshold);
        }

        /**
         * The grounder's class: the one given, else the built-in Grounding DINO when the models folder has it and SAM
         * (the boxes Grounding DINO's, the masks SAM's), else null (the tasks that ground objects are disabled then).
         */
        public String grounderClass() {
            if (grounder != null) {
                return grounder;
            }
            ModelsFolder found = modelsFolder();
            return found.has(ModelsFolder.Family.GROUNDING) && found.has(ModelsFolder.Family.SAM)
                    ? GroundingDinoGrounder.class.getName() : null;
        }

        /** What the models folder holds. */
        public ModelsFolder modelsFolder() {
            return new ModelsFolder(models);
        }

        public Path tessdataPath() {
            return tessdata == null ? null : Path.of(tessdata);
        }

        /** The CLIP model folder ({@code models/clip}) when it holds a model, or null. */
        public Path clipFolder() {
            return modelsFolder().folderOf(ModelsFolder.Family.CLIP);
        }

        /** The text-to-image pipeline folder ({@code models/diffusion}), whether or not it holds one; null without a models folder. */
        public Path diffusionFolder() {
            return models == null ? null : Path.of(models, ModelsFolder.Family.DIFFUSION.folderName());
        }

        public static Tools defaults() {
            return new Tools(null, null, 30, null, 1, false);
        }
    }

    /** The capabilities present on this machine for these tools. */
    public static Set<Capability> capabilities(Tools tools) {
        Set<Capability> found = EnumSet.of(Capability.EDGE_DETECTOR);
        if (Tessdata.find(tools.tessdataPath()).isPresent()) {
            found.add(Capability.OCR);
        }
        if (TextRenderer.fontsInstalled()) {
            found.add(Capability.FONTS);
        }
        found.addAll(tools.modelsFolder().capabilities());
        if (tools.grounderClass() != null) {
            // a grounder gives the object's box and its segmentation (a box-filled one without SAM)
            found.add(Capability.GROUNDING);
            found.add(Capability.SEGMENTATION);
        }
        return found;
    }

    /** Opens the recipes of the given tasks (those the job enabled). */
    public static RecipeBook open(Tools tools, Set<Task> tasks) {
        Map<Task, Recipe> recipes = new EnumMap<>(Task.class);
        TesseractTextRecognizer ocr = null;
        if (tasks.contains(Task.COLOR)) {
            recipes.put(Task.COLOR, new ColorRecipe());
        }
        if (tasks.contains(Task.SKETCH)) {
            recipes.put(Task.SKETCH, new SketchRecipe());
        }
        if (tasks.contains(Task.TEXT)) {
            Optional<Path> tessdata = Tessdata.find(tools.tessdataPath());
            if (tessdata.isEmpty()) {
                throw new IllegalStateException("the text task is enabled but no OCR data was found; " + Tessdata.INSTALL_HINT);
            }
            ocr = new TesseractTextRecognizer(tessdata.get());
            recipes.put(Task.TEXT, new TextRecipe(ocr));
        }
        if (tasks.contains(Task.DEPTH) || tasks.contains(Task.NORMAL)) {
            Path folder = tools.modelsFolder().find(ModelsFolder.Family.DEPTH).orElseThrow(() -> new IllegalStateException(
                    "the depth or normal task is enabled but there is no depth model: " + Capability.DEPTH.description()));
            DepthHost depth = DepthHost.forFolder(folder);
            if (tasks.contains(Task.DEPTH)) {
                recipes.put(Task.DEPTH, new DepthRecipe(depth));
            }
            if (tasks.contains(Task.NORMAL)) {
                recipes.put(Task.NORMAL, new NormalRecipe(depth));
            }
        }
        if (tasks.contains(Task.POSE)) {
            Path folder = tools.modelsFolder().find(ModelsFolder.Family.POSE).orElseThrow(() -> new IllegalStateException(
                    "the pose task is enabled but there is no pose model: " + Capability.POSE.description()));
            if (tools.grounderClass() == null) {
                throw new IllegalStateException("the pose task is enabled but there is no grounder to find the persons: "
                        + Capability.GROUNDING.description());
            }
            recipes.put(Task.POSE, new PoseRecipe(tools.grounding().boxes(), PoseHost.forFolder(folder)));
        }
        if (tasks.contains(Task.DETECT) || tasks.contains(Task.SEGMENT)) {
            if (tools.grounderClass() == null) {
                throw new IllegalStateException("the detect or segment task is enabled but there is no grounder: "
                        + Capability.GROUNDING.description());
            }
            ObjectGrounder grounder = tools.grounding().withMasks(); // the grounder's boxes, SAM's masks
            for (Task task : List.of(Task.DETECT, Task.SEGMENT)) {
                if (tasks.contains(task)) {
                    recipes.put(task, new GroundedRecipe(task, grounder));
                }
            }
        }
        if (tasks.contains(Task.SEGMAP)) {
            Path folder = tools.modelsFolder().find(ModelsFolder.Family.SEGMAP).orElseThrow(() -> new IllegalStateException(
                    "the segmentation-map task is enabled but there is no segmentation model: "
                            + Capability.SEGMENTATION_MAP.description()));
            recipes.put(Task.SEGMAP, new SegmapRecipe(SegmapHost.forFolder(folder)));
        }
        return new RecipeBook(recipes, ocr);
    }

    public Optional<Recipe> recipe(Task task) {
        return Optional.ofNullable(recipes.get(task));
    }

    @Override
    public void close() {
        if (ocr != null) {
            ocr.close();
        }
    }
}
