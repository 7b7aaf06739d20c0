package org.editstream.recipes;

import ai.djl.ndarray.types.DataType;
import org.editstream.diffusion.SharedPipelines;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.models.Batcher;
import org.editstream.models.Devices;
import org.editstream.perception.ClipScores;
import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The diffusion-backed recipes of one deployment, loaded once per JVM and shared by every operator instance in
 * it: requests queue in a {@link Batcher} whose one worker owns the device. Global requests (one pair each) are
 * batched across requests, {@link Settings#batch()} pairs to a UNet pass; region and background requests batch
 * their own candidates the same way; style requests (an inversion each) run one after another.
 */
public final class GenerationHost {
    /**
     * What the host loads and how it batches (made in each TaskManager from the job's {@link RecipeBook.Tools}).
     *
     * @param diffusion  text-to-image pipeline folder
     * @param inpainting inpainting pipeline folder, or one holding only {@code unet/} (then the text encoder and VAE
     *                   are the text-to-image pipeline's), or null
     * @param clip       CLIP folder for best-of-N among candidates, or null (one candidate then)
     * @param grounder   the grounder the region and background recipes ground with (SAM's masks when the models
     *                   folder has SAM), or null
     * @param batch      pairs per UNet pass, and requests per batch; {@link GenerationBatch#AUTO} to size it from the
     *                   device's memory when the host starts
     * @param maxWait    how long a batch waits to fill after its oldest request arrived
     * @param regionGivenImage whether local, texture and remove edit the caption's own image when it has one
     */
    public record Settings(Path diffusion, Path inpainting, Path clip, GrounderSpec grounder, int steps, int batch,
                           Duration maxWait, boolean regionGivenImage) {
        public Settings {
            if (batch < 1 && batch != GenerationBatch.AUTO) {
                throw new IllegalArgumentException("the generation batch must be at least 1 (or auto), got " + batch);
            }
            if (steps < 1) {
                throw new IllegalArgumentException("diffusion steps must be positive, got " + steps);
            }
        }

        /** Whether {@code folder} can serve as {@link #inpainting()}. */
        public static boolean isInpaintingFolder(Path folder) {
            return folder != null && ModelsFolder.Family.INPAINTING.recognises(folder);
        }
    }

    /**
     * One pair to make: task, captions, the name of the object to ground (region and background tasks; null
     * otherwise), the caption's own image (null when it has none), the seed all its draws derive from.
     */
    public record Job(Task task, String inputCaption, String outputCaption, String groundName, BufferedImage image,
                      long seed) {
    }

    private static final Map<Settings, GenerationHost> HOSTS = new ConcurrentHashMap<>();

    private final Settings settings;
    private final StableDiffusion sd;
    private final GlobalRecipe global;
    private final StyleRecipe style;
    private final RegionRecipe region;
    private final BackgroundRecipe background;
    private final Batcher<Job, Made> batcher;
    /** Pairs per UNet pass: the settings', or sized at start ({@link GenerationBatch#auto}). */
    private final int batch;

    private GenerationHost(Settings settings) {
        this.settings = settings;
        this.sd = SharedPipelines.get(settings.diffusion(), Devices.named("auto"), DataType.FLOAT32);
        int side = sd.unet().config().sampleSize() * sd.vaeScale();
        int steps = settings.steps();
        ClipScores clip = settings.clip() == null ? null : ClipScores.forFolder(settings.clip()); // the filters' copy
        // best of Emu Edit's candidates by CLIP; without a CLIP model there is nothing to choose by, so one candidate
        RegionRecipe.Chooser chooser = clip == null ? (candidates, caption) -> 0 : RegionRecipe.Chooser.byClip(clip);
        this.global = new GlobalRecipe(sd, steps, side, side);
        this.batch = settings.batch() != GenerationBatch.AUTO ? settings.batch()
                : GenerationBatch.auto(sd.manager().getDevice(), () -> new GlobalRecipe(sd, 1, side, side).makeAll(List.of(
                        new GlobalRecipe.Edit("a photo of a house", "a photo of a house at night", new SplittableRandom(0))), 1));
        this.style = new StyleRecipe(sd, chooser, steps, side, side, clip == null ? 1 : StyleRecipe.CANDIDATES);
        ObjectGrounder grounder = settings.grounder() == null ? null : settings.grounder().withMasks();
        this.region = grounder == null ? null : new RegionRecipe(sd, grounder, chooser, steps, side, side,
                clip == null ? 1 : RegionRecipe.CANDIDATES, batch);
        StableDiffusion inpainter = grounder == null || !Settings.isInpaintingFolder(settings.inpainting()) ? null
                : inpainter(settings);
        int inpaintSide = inpainter == null ? 0 : inpainter.unet().config().sampleSize() * inpainter.vaeScale();
        this.background = inpainter == null ? null : new BackgroundRecipe(inpainter, grounder, chooser, steps,
                inpaintSide, inpaintSide, clip == null ? 1 : BackgroundRecipe.CANDIDATES, batch);
        // global requests of one host share model, steps and size: they batch by task
        this.batcher = new Batcher<>("diffusion", batch, settings.maxWait(), Job::task, this::run);
    }

    private static StableDiffusion inpainter(Settings settings) {
        Path folder = settings.inpainting();
        Path pipeline = Files.isRegularFile(folder.resolve("model_index.json")) ? folder : settings.diffusion();
        return SharedPipelines.get(pipeline, folder.resolve("unet"), Devices.named("auto"), DataType.FLOAT32);
    }

    /** The host of these settings (loaded on first use, on a GPU when DJL finds one). */
    public static GenerationHost of(Settings settings) {
        return HOSTS.computeIfAbsent(settings, GenerationHost::new);
    }

    /** The recipe name a task's samples record. */
    public static String recipeName(Task task) {
        if (RegionRecipe.TASKS.contains(task)) {
            return RegionRecipe.NAME;
        }
        return switch (task) {
            case STYLE -> StyleRecipe.NAME;
            case BACKGROUND -> BackgroundRecipe.NAME;
            default -> GlobalRecipe.NAME;
        };
    }

    /** The pair of one request, made on the host's worker; fails with a {@link Refusal} when it cannot be. */
    public CompletableFuture<EditPair> make(Job job) {
        String task = job.task().name().toLowerCase();
        boolean known = job.task() == Task.GLOBAL || job.task() == Task.STYLE
                || RegionRecipe.TASKS.contains(job.task()) && region != null
                || job.task() == Task.BACKGROUND && background != null;
        if (!known) {
            return CompletableFuture.failedFuture(new Refusal(Reason.TASK_DISABLED, "no generated recipe for task " + task
                    + " with the models configured"));
        }
        if (job.outputCaption() == null || job.outputCaption().isBlank()) {
            return CompletableFuture.failedFuture(new Refusal(Reason.RECIPE_FAILED,
                    "a " + task + " edit needs the output caption, and the instruction has none"));
        }
        return batcher.submit(job).thenCompose(made -> made.refusal() == null ? CompletableFuture.completedFuture(made.pair())
                : CompletableFuture.failedFuture(made.refusal()));
    }

    public Batcher.Stats stats() {
        return batcher.stats();
    }

    /** Pairs per UNet pass this host runs (the settings', or what {@link GenerationBatch#auto} chose). */
    public int batch() {
        return batch;
    }

    public Settings settings() {
        return settings;
    }

    /**
     * One batch of same-task requests. Global pairs share UNet passes, and a failure of the batch as a whole
     * (out of memory: the batcher then splits it) fails them together; other tasks run one request at a time,
     * each ending on its own.
     */
    private List<Made> run(List<Job> jobs) {
        if (jobs.get(0).task() == Task.GLOBAL) {
            List<GlobalRecipe.Edit> edits = jobs.stream().map(job -> new GlobalRecipe.Edit(job.inputCaption(),
                    job.outputCaption(), Seeds.random(job.seed(), "recipe"))).toList();
            return global.makeAll(edits, batch);
        }
        List<Made> made = new ArrayList<>(jobs.size());
        for (Job job : jobs) {
            made.add(runOne(job));
        }
        return made;
    }

    private Made runOne(Job job) {
        try {
            var random = Seeds.random(job.seed(), "recipe");
            EditPair pair = switch (job.task()) {
                case STYLE -> style.make(job.image(), job.inputCaption(), job.outputCaption(), random);
                case BACKGROUND -> background.make(job.image(), sd, job.inputCaption(), job.outputCaption(),
                        job.groundName(), random);
                default -> region.make(job.task(), job.inputCaption(), job.outputCaption(), job.groundName(),
                        settings.regionGivenImage() ? job.image() : null, random);
            };
            return Made.of(pair);
        } catch (Refusal refusal) {
            return Made.failed(refusal);
        } catch (RuntimeException e) {
            Reason reason = Batcher.outOfMemory(e) ? Reason.MODEL_OUT_OF_MEMORY : Reason.MODEL_FAILURE;
            return Made.failed(new Refusal(reason, job.task().name().toLowerCase() + " generation failed: " + e, e));
        }
    }
}
