package org.editstream.recipes;

import ai.djl.ndarray.types.DataType;
import org.editstream.diffusion.SharedPipelines;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.models.Batcher;
import org.editstream.models.Devices;
import org.editstream.models.clip.ClipModel;
import org.editstream.perception.ClipScores;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The diffusion-backed recipes of one pipeline folder, loaded once per JVM and shared by every operator
 * instance in it: requests queue in a {@link Batcher} whose one worker owns the device. A pair under attention
 * control is already a batch of four UNet rows, so requests run one at a time (batch size 1); the batcher
 * still gives the device a single owner, splits nothing and reports queue depth.
 */
public final class GenerationHost {
    private record Key(Path folder, int steps, Path clip) {
    }

    /**
     * One pair to make: task, captions, the caption's own image (null when it has none), the seed all its draws
     * derive from.
     */
    public record Job(Task task, String inputCaption, String outputCaption, BufferedImage image, long seed) {
    }

    private static final Map<Key, GenerationHost> HOSTS = new ConcurrentHashMap<>();

    private final GlobalRecipe global;
    private final StyleRecipe style;
    private final Batcher<Job, EditPair> batcher;

    private GenerationHost(StableDiffusion sd, int steps, ClipModel clip) {
        int side = sd.unet().config().sampleSize() * sd.vaeScale();
        this.global = new GlobalRecipe(sd, steps, side, side);
        // best of Emu Edit's 10 style candidates by CLIP; without a CLIP model there is nothing to choose by
        this.style = clip == null ? new StyleRecipe(sd, (c, caption) -> 0, steps, side, side, 1)
                : new StyleRecipe(sd, RegionRecipe.Chooser.byClip(new ClipScores(clip)), steps, side, side, StyleRecipe.CANDIDATES);
        this.batcher = new Batcher<>("diffusion", 1, Duration.ZERO, Job::task, jobs -> jobs.stream().map(this::run).toList());
    }

    /**
     * The host of a pipeline folder (loaded on first use, on a GPU when DJL finds one).
     *
     * @param clip a CLIP model folder for best-of-N among candidates, or null
     */
    public static GenerationHost forFolder(Path diffusion, int steps, Path clip) {
        Key key = new Key(diffusion.toAbsolutePath().normalize(), steps, clip == null ? null : clip.toAbsolutePath().normalize());
        return HOSTS.computeIfAbsent(key, k -> new GenerationHost(
                SharedPipelines.get(k.folder(), Devices.named("auto"), DataType.FLOAT32), steps,
                k.clip() == null ? null : ClipModel.load(k.clip(), Devices.named("auto"), DataType.FLOAT32)));
    }

    /** The recipe name a task's samples record. */
    public static String recipeName(Task task) {
        return task == Task.STYLE ? StyleRecipe.NAME : GlobalRecipe.NAME;
    }

    /** The pair of one request, made on the host's worker; fails with a {@link Refusal} when it cannot be. */
    public CompletableFuture<EditPair> make(Job job) {
        if (job.task() != Task.GLOBAL && job.task() != Task.STYLE) {
            return CompletableFuture.failedFuture(new Refusal(Reason.TASK_DISABLED,
                    "no generated recipe for task " + job.task().name().toLowerCase()));
        }
        if (job.outputCaption() == null || job.outputCaption().isBlank()) {
            return CompletableFuture.failedFuture(new Refusal(Reason.RECIPE_FAILED,
                    "a " + job.task().name().toLowerCase() + " edit needs the output caption, and the instruction has none"));
        }
        return batcher.submit(job);
    }

    public Batcher.Stats stats() {
        return batcher.stats();
    }

    private EditPair run(Job job) {
        if (job.task() == Task.STYLE) {
            return style.make(job.image(), job.inputCaption(), job.outputCaption(), Seeds.random(job.seed(), "recipe"));
        }
        return global.make(job.inputCaption(), job.outputCaption(), Seeds.random(job.seed(), "recipe"));
    }
}
