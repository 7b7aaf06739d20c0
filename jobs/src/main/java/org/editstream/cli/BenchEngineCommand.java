package org.editstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.UNet;
import org.editstream.diffusion.UNetConfig;
import org.editstream.diffusion.UNetHooks;
import org.editstream.models.Devices;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.WeightSource;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Flops;
import org.editstream.recipes.GlobalRecipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "engine", mixinStandardHelpOptions = true,
        description = {"The engine's GPU benchmark (it runs on a CPU too, at sizes a CPU finishes): the device's measured",
                "matrix-product peak per precision; an SD-1.5-size UNet forward with random weights per precision and batch,",
                "with its model FLOPs (nn.Flops) and utilisation against the measured bfloat16 peak (else the row's own",
                "precision's); one attention-controlled pair (the global task's recipe: text encoding, the guided loop under",
                "Prompt-to-Prompt control, decoding) and pairs per second at each generation batch, as the job batches",
                "captions. Medians; nothing is asserted. --json writes the rows."})
class BenchEngineCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    DeviceOption device;

    @Option(names = "--precision", split = ",", defaultValue = "float32",
            description = "Precisions of the rows: float32, float16, bfloat16 (default: ${DEFAULT-VALUE}).")
    List<String> precisions;

    @Option(names = "--peak-size", defaultValue = "4096", description = "Side of the square matrices of the peak rows (default: ${DEFAULT-VALUE}).")
    int peakSize;

    @Option(names = "--unet-config", defaultValue = "../shared/fixtures/manifests/sd15-unet.json",
            description = "The UNet rows' config: a manifest or config.json (default: ${DEFAULT-VALUE}).")
    Path unetConfig;

    @Option(names = "--latent", defaultValue = "64", description = "Side of the UNet rows' latents (default: ${DEFAULT-VALUE}, 512x512 images).")
    int latent;

    @Option(names = "--batches", split = ",", defaultValue = "2,8,32", description = "Batches of the UNet rows (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = "--pipeline", description = "A diffusers pipeline folder for the pair rows, with its weights; default: "
            + "SD-1.5's configs from --manifests with random weights.")
    Path pipeline;

    @Option(names = "--manifests", defaultValue = "../shared/fixtures/manifests",
            description = "The manifests that size the random pipeline (default: ${DEFAULT-VALUE}).")
    Path manifests;

    @Option(names = "--tiny", defaultValue = "../shared/fixtures/sd-tiny",
            description = "A pipeline folder the random pipeline takes its tokenizer and scheduler from (default: ${DEFAULT-VALUE}).")
    Path tiny;

    @Option(names = "--pair-steps", defaultValue = "50", description = "Steps of the one-pair row (default: ${DEFAULT-VALUE}).")
    int pairSteps;

    @Option(names = "--generation-batches", split = ",", defaultValue = "1,4,16",
            description = "Pairs per UNet pass of the pairs-per-second rows (default: ${DEFAULT-VALUE}).")
    List<Integer> generationBatches;

    @Option(names = "--batch-steps", defaultValue = "10", description = "Steps of each pair in the pairs-per-second rows (default: ${DEFAULT-VALUE}).")
    int batchSteps;

    @Option(names = "--skip-pairs", description = "Leave out the pair rows.")
    boolean skipPairs;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs of the peak and UNet rows (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--json", description = "Where to write the rows as JSON.")
    Path json;

    private final ObjectMapper mapper = new ObjectMapper();
    private final ArrayNode rows = mapper.createArrayNode();
    private final ObjectNode report = mapper.createObjectNode().set("rows", rows);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = device.device();
        List<DataType> types = precisions.stream().map(Devices::precision).toList();
        report.put("device", dev.toString()).put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion())
                .put("djl", Engine.getDjlVersion()).put("gpus", Engine.getInstance().getGpuCount())
                .put("cores", Runtime.getRuntime().availableProcessors()).put("attention", Attention.unobservedLayers());
        out.printf("device %s, engine %s, DJL %s, %d GPU(s), %d cores, attention %s%n", dev, report.get("engine").asText(),
                Engine.getDjlVersion(), Engine.getInstance().getGpuCount(), Runtime.getRuntime().availableProcessors(),
                Attention.unobservedLayers());
        out.flush();
        writeJson();
        Map<DataType, Double> peak = new LinkedHashMap<>();
        for (DataType type : types) {
            try (NDManager m = NDManager.newBaseManager(dev)) {
                NDArray a = m.randomNormal(new Shape(peakSize, peakSize)).toType(type, false);
                NDArray b = m.randomNormal(new Shape(peakSize, peakSize)).toType(type, false);
                double s = BenchSupport.median(runs, 1, () -> done(a.matMul(b)));
                double tflops = 2.0 * peakSize * peakSize * peakSize / s / 1e12;
                peak.put(type, tflops);
                row(out, "matmul " + peakSize + "x" + peakSize + " " + name(type), s, tflops, null, null);
            }
        }
        double reference = peak.getOrDefault(DataType.BFLOAT16, Double.NaN);
        UNetConfig config = BenchSupport.config(unetConfig, UNetConfig.class, "--unet-config");
        for (DataType type : types) {
            try (NDManager m = NDManager.newBaseManager(dev)) {
                UNet unet = new UNet(WeightSet.random(m, type).root(), config);
                for (int batch : batches) {
                    NDArray sample = m.randomNormal(new Shape(batch, config.inChannels(), latent, latent)).toType(type, false);
                    NDArray context = m.randomNormal(new Shape(batch, 77, config.contextDim())).toType(type, false);
                    NDArray t = m.full(new Shape(batch), 501f);
                    long before = Flops.total();
                    unetOnce(unet, sample, context, t);
                    long flops = Flops.total() - before;
                    double s = BenchSupport.median(runs, 1, () -> unetOnce(unet, sample, context, t));
                    double tflops = flops / s / 1e12;
                    double against = Double.isNaN(reference) ? peak.get(type) : reference;
                    row(out, "unet forward " + name(type) + " batch " + batch + " " + latent + "x" + latent, s, tflops,
                            tflops / against, null);
                    sample.close();
                    context.close();
                }
            }
        }
        if (!skipPairs) {
            for (DataType type : types) {
                pairs(out, dev, type);
            }
        }
        if (json != null) {
            out.println("wrote " + json);
        }
        out.flush();
        return 0;
    }

    /** Writes the rows so far to --json: a run stopped part-way (a time limit, a crash) still leaves them. */
    private void writeJson() throws IOException {
        if (json != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
            mapper.writerWithDefaultPrettyPrinter().writeValue(json.toFile(), report);
        }
    }

    /** The pair rows: one pair at --pair-steps, then pairs per second at each generation batch. */
    private void pairs(PrintWriter out, Device dev, DataType type) throws Exception {
        Path folders = pipeline == null ? Files.createTempDirectory("editstream-bench-engine") : null;
        try {
            Path folder = pipeline != null ? pipeline : BenchSupport.configsOnlyPipeline(manifests, tiny, folders.resolve("pipeline"));
            try (StableDiffusion sd = StableDiffusion.load(folder, folder.resolve("unet"), dev, type,
                    pipeline != null ? WeightSource.FILES : WeightSource.RANDOM)) {
                int side = sd.unet().config().sampleSize() * sd.vaeScale();
                SplittableRandom random = new SplittableRandom(1);
                GlobalRecipe one = new GlobalRecipe(sd, pairSteps, side, side);
                one.makeAll(List.of(edit(0, random)), 1); // warm-up: the first pass loads and proves
                double s = BenchSupport.median(1, 0, () -> one.makeAll(List.of(edit(1, random)), 1));
                row(out, "attention-controlled pair " + name(type) + " " + pairSteps + " steps " + side + "x" + side, s, null, null, 1 / s);
                GlobalRecipe batched = new GlobalRecipe(sd, batchSteps, side, side);
                for (int n : generationBatches) {
                    List<GlobalRecipe.Edit> edits = new ArrayList<>();
                    for (int i = 0; i < n; i++) {
                        edits.add(edit(i, random));
                    }
                    batched.makeAll(edits.subList(0, 1), 1);
                    double b = BenchSupport.median(1, 0, () -> batched.makeAll(edits, n));
                    row(out, "pairs at generation batch " + n + " " + name(type) + " " + batchSteps + " steps " + side + "x" + side,
                            b, null, null, n / b);
                }
            }
        } finally {
            if (folders != null) {
                BenchSupport.deleteTree(folders);
            }
        }
    }

    private static GlobalRecipe.Edit edit(int i, SplittableRandom random) {
        return new GlobalRecipe.Edit("a photo of a red dog on the grass number " + i,
                "a photo of a red dog on the grass at night number " + i, random.split());
    }

    private void row(PrintWriter out, String name, double seconds, Double tflops, Double mfu, Double pairsPerSecond)
            throws IOException {
        ObjectNode row = rows.addObject().put("row", name).put("seconds", seconds);
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-58s %9.3f s", name, seconds));
        if (tflops != null) {
            row.put("tflops", tflops);
            line.append(String.format(Locale.ROOT, "  %8.3f TFLOP/s", tflops));
        }
        if (mfu != null && Double.isFinite(mfu)) {
            row.put("mfu", mfu);
            line.append(String.format(Locale.ROOT, "  MFU %.1f%%", 100 * mfu));
        }
        if (pairsPerSecond != null) {
            row.put("pairs_per_second", pairsPerSecond);
            line.append(String.format(Locale.ROOT, "  %.4f pairs/s", pairsPerSecond));
        }
        out.println(line);
        out.flush();
        writeJson();
    }

    private static String name(DataType type) {
        return type.name().toLowerCase(Locale.ROOT);
    }

    private static Object done(NDArray result) {
        result.get(0).toType(DataType.FLOAT32, false).toFloatArray(); // waits for the product
        result.close();
        return null;
    }

    private static Object unetOnce(UNet unet, NDArray sample, NDArray context, NDArray t) {
        NDArray out = Scoped.apply(in -> unet.forward(in[0], in[1], in[2], UNetHooks.NONE), sample, t, context);
        out.get(0).toType(DataType.FLOAT32, false).toFloatArray(); // waits for the result
        out.close();
        return null;
    }
}
