package org.editstream.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.models.ResidentMemory;
import org.editstream.models.WeightSource;
import org.editstream.models.clip.ClipModel;
import org.editstream.perception.ClipScores;
import org.editstream.recipes.GlobalRecipe;
import org.editstream.recipes.Made;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

@Command(name = "memory", mixinStandardHelpOptions = true,
        description = {"The native memory a TaskManager's models take, for sizing taskmanager.memory.task.off-heap.size: the",
                "SD-1.5-size pipeline (text encoder, UNet, VAE) and the filters' CLIP ViT-L/14, with random weights of",
                "the manifests' configs, make attention-controlled pairs at the pipeline's image size as the global task",
                "does, then the pairs are scored. Native memory is resident memory less the JVM's committed heap and",
                "non-heap, sampled every 20 ms. Prints each stage and the TaskManager settings that follow (Flink's own",
                "derivation of the process size). Nothing is asserted."})
class BenchMemoryCommand implements Callable<Integer> {
    private static final long MIB = 1024;
    private static final long ROUND_KIB = 256 * MIB;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--tiny", defaultValue = "../shared/fixtures/sd-tiny",
            description = "A pipeline folder to take the tokenizer and scheduler from (default: ${DEFAULT-VALUE}).")
    Path tiny;

    @Option(names = "--clip-tiny", defaultValue = "../shared/fixtures/clip-tiny",
            description = "A CLIP folder to take the tokenizer and image processor settings from (default: ${DEFAULT-VALUE}).")
    Path clipTiny;

    @Option(names = "--manifests", defaultValue = "../shared/fixtures/manifests",
            description = "Folder of the manifests whose configs size the models: sd15-unet.json, clip-vit-l14-text-encoder.json, "
                    + "sd-vae.json, clip-vit-l14.json (default: ${DEFAULT-VALUE}).")
    Path manifests;

    @Option(names = "--steps", defaultValue = "2",
            description = "DDIM steps per pair: memory does not grow with them, time does (default: ${DEFAULT-VALUE}; the job's is 30).")
    int steps;

    @Option(names = "--generation-batch", defaultValue = "1",
            description = "Pairs per UNet pass, as the job's --generation-batch (default: ${DEFAULT-VALUE}).")
    int generationBatch;

    @Option(names = "--rounds", defaultValue = "2",
            description = "Batches of pairs made one after another: a later one shows whether memory stays flat (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--task-heap", defaultValue = "1g",
            description = "Task heap the TaskManager process is sized with (default: ${DEFAULT-VALUE}).")
    String taskHeap;

    @Option(names = "--managed", defaultValue = "256m",
            description = "Managed memory the TaskManager process is sized with, as cluster start sets it (default: ${DEFAULT-VALUE}).")
    String managed;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        if (steps < 1 || generationBatch < 1 || rounds < 1) {
            throw new IllegalArgumentException("--steps, --generation-batch and --rounds must be at least 1");
        }
        if (ResidentMemory.kib() < 0) {
            throw new IllegalStateException("no /proc/self/status to read resident memory from: this benchmark runs on Linux");
        }
        PrintWriter out = spec.commandLine().getOut();
        Path folders = Files.createTempDirectory("editstream-memory");
        try (Sampler sampler = new Sampler()) {
            Path pipeline = BenchSupport.configsOnlyPipeline(manifests, tiny, folders.resolve("pipeline"));
            Path clipFolder = clipFolder(folders.resolve("clip"));
            long jvmAlone = ResidentMemory.nativeKib();
            out.printf("%d cores, max heap %s; native memory is resident less the JVM's committed heap and non-heap%n",
                    Runtime.getRuntime().availableProcessors(), gib(Runtime.getRuntime().maxMemory() / 1024));
            out.printf("%-58s %10s %12s %10s%n", "stage", "native", "stage peak", "time");
            out.printf("%-58s %10s%n", "the JVM alone", gib(jvmAlone));
            Device dev = stage(out, sampler, "libtorch started", () -> {
                Device d = device.device();
                try (NDManager m = NDManager.newBaseManager(d)) {
                    m.ones(new Shape(1)).toFloatArray();
                }
                return d;
            });
            try (StableDiffusion sd = stage(out, sampler, "SD-1.5-size pipeline loaded (random weights)",
                    () -> StableDiffusion.load(pipeline, pipeline.resolve("unet"), dev, DataType.FLOAT32,
                            WeightSource.RANDOM));
                 ClipModel clip = stage(out, sampler, "CLIP ViT-L/14 loaded (random weights)",
                         () -> ClipModel.load(clipFolder, dev, DataType.FLOAT32, WeightSource.RANDOM))) {
                int side = sd.unet().config().sampleSize() * sd.vaeScale();
                GlobalRecipe recipe = new GlobalRecipe(sd, steps, side, side);
                SplittableRandom random = new SplittableRandom(7);
                List<Made> made = new ArrayList<>();
                long beforePairs = ResidentMemory.nativeKib();
                long pairsPeak = 0;
                for (int r = 0; r < rounds; r++) {
                    List<GlobalRecipe.Edit> edits = new ArrayList<>();
                    for (int i = 0; i < generationBatch; i++) {
                        edits.add(new GlobalRecipe.Edit("a photo of a dog on the grass number " + i,
                                "a photo of a dog on the grass at night number " + i, random.split()));
                    }
                    String what = String.format("%d pair(s) %dx%d, %d steps, %d to a UNet pass (round %d)",
                            generationBatch, side, side, steps, generationBatch, r + 1);
                    List<Made> round = stage(out, sampler, what, () -> recipe.makeAll(edits, generationBatch));
                    pairsPeak = Math.max(pairsPeak, sampler.lastPeak);
                    made = round;
                }
                List<ClipScores.Item> items = new ArrayList<>();
                int failed = 0;
                for (Made m : made) {
                    if (m.pair() == null) {
                        failed++;
                    } else {
                        items.add(new ClipScores.Item(m.pair().input(), m.pair().edited(), "a photo of a dog",
                                "a photo of a dog at night"));
                    }
                }
                if (failed > 0) {
                    out.printf("%d of the last round's pairs failed (random weights): %s%n", failed, made.get(0).refusal());
                }
                ClipScores scores = new ClipScores(clip);
                long beforeScoring = ResidentMemory.nativeKib();
                stage(out, sampler, "the pairs scored by CLIP (" + items.size() + ")", () -> scores.scoreAll(items));
                long scoringPeak = sampler.lastPeak;
                long concurrent = pairsPeak + Math.max(0, scoringPeak - beforeScoring);
                out.printf("device %s; peak resident (VmHWM) %s; JVM committed heap and non-heap now %s%n",
                        dev, gib(ResidentMemory.peakKib()), gib(ResidentMemory.jvmCommittedKib()));
                out.printf("models' native memory: loaded %s, making pairs up to %s, generation and scoring at once up to %s"
                                + " (the JVM alone: %s)%n", gib(beforePairs - jvmAlone), gib(pairsPeak - jvmAlone),
                        gib(concurrent - jvmAlone), gib(jvmAlone));
                long offHeapKib = (concurrent - jvmAlone + ROUND_KIB - 1) / ROUND_KIB * ROUND_KIB;
                MemorySize offHeap = MemorySize.parse(offHeapKib + "k");
                Configuration flink = new Configuration();
                flink.set(TaskManagerOptions.TASK_HEAP_MEMORY, MemorySize.parse(taskHeap));
                flink.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse(managed));
                flink.set(TaskManagerOptions.TASK_OFF_HEAP_MEMORY, offHeap);
                TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(flink);
                out.printf("TaskManager: taskmanager.memory.task.off-heap.size: %dm (rounded up to 256m); with task heap %s and"
                                + " managed %s Flink derives taskmanager.memory.process.size: %dm (JVM overhead %dm)%n",
                        offHeap.getMebiBytes(), taskHeap, managed, spec.getTotalProcessMemorySize().getMebiBytes(),
                        spec.getJvmOverheadSize().getMebiBytes());
            }
        } finally {
            BenchSupport.deleteTree(folders);
        }
        return 0;
    }

    /** Runs a stage, then prints the native memory after it (after a collection), its peak while it ran, its time. */
    private static <T> T stage(PrintWriter out, Sampler sampler, String name, Supplier<T> body) {
        sampler.restart();
        long start = System.nanoTime();
        T result = body.get();
        double seconds = (System.nanoTime() - start) / 1e9;
        long peak = sampler.stop();
        out.printf("%-58s %10s %12s %8.1f s%n", name, gib(ResidentMemory.nativeKib()), gib(peak), seconds);
        out.flush();
        return result;
    }

    /** A CLIPModel folder of configs only, its image processor sized for the manifest's vision tower. */
    private Path clipFolder(Path folder) throws IOException {
        JsonNode config = BenchSupport.writeConfig(manifests.resolve("clip-vit-l14.json"), folder);
        int size = config.path("vision_config").path("image_size").asInt(224);
        ObjectMapper json = new ObjectMapper();
        ObjectNode processor = (ObjectNode) json.readTree(clipTiny.resolve("preprocessor_config.json").toFile());
        processor.putObject("crop_size").put("height", size).put("width", size);
        processor.putObject("size").put("shortest_edge", size);
        json.writeValue(folder.resolve("preprocessor_config.json").toFile(), processor);
        Files.createSymbolicLink(folder.resolve("tokenizer"), clipTiny.resolve("tokenizer").toAbsolutePath());
        return folder;
    }


    private static String gib(long kib) {
        return String.format("%.2f GiB", kib / (1024.0 * 1024));
    }

    /** The highest native memory seen while a stage runs, sampled on a daemon thread. */
    private static final class Sampler implements AutoCloseable {
        private final Thread thread;
        private volatile long peak;
        private volatile boolean running = true;
        long lastPeak;

        Sampler() {
            thread = new Thread(() -> {
                while (running) {
                    long now = ResidentMemory.kib() - ResidentMemory.jvmCommittedKib();
                    if (now > peak) {
                        peak = now;
                    }
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "memory-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        void restart() {
            peak = ResidentMemory.kib() - ResidentMemory.jvmCommittedKib();
        }

        long stop() {
            lastPeak = Math.max(peak, ResidentMemory.kib() - ResidentMemory.jvmCommittedKib());
            return lastPeak;
        }

        @Override
        public void close() {
            running = false;
            thread.interrupt();
        }
    }
}
