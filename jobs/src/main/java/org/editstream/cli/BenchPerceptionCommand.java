package org.editstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.models.NativeAllocator;
import org.editstream.models.WeightSet;
import org.editstream.models.depth.DepthAnything;
import org.editstream.models.depth.DepthAnythingConfig;
import org.editstream.models.dino.Dinov2Config;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.sam.SamConfig;
import org.editstream.models.sam.SegmentAnything;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "perception", mixinStandardHelpOptions = true,
        description = {"Times the perception models at the released sizes with random weights: Segment Anything's image",
                "embedding (1024x1024) and mask decode per prompt, and Depth Anything V2's forward at 518x518. With",
                "--reference-python, the reference implementations (segment-anything, Depth-Anything-V2 source folders)",
                "time the same rows in PyTorch on the same threads and malloc settings, after ours, and the table gives both",
                "and the ratio.",
                "Medians after warm-up runs; nothing is asserted."})
class BenchPerceptionCommand implements Callable<Integer> {
    private static final String REFERENCE_SCRIPT = "perception_reference.py";

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--sam-config", description = "SAM manifests or config.json files (repeatable; default: the ViT-B and ViT-H manifests).")
    List<Path> samConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/sam-vit-b.json"),
            Path.of("../shared/fixtures/manifests/sam-vit-h.json")));

    @Option(names = "--depth-config", description = "Depth Anything V2 manifests or config.json files (repeatable; default: ViT-S and ViT-L).")
    List<Path> depthConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/depth-anything-v2-vits.json"),
            Path.of("../shared/fixtures/manifests/depth-anything-v2-vitl.json")));

    @Option(names = "--skip-sam", description = "Leave out the SAM rows.")
    boolean skipSam;

    @Option(names = "--skip-depth", description = "Leave out the Depth Anything rows.")
    boolean skipDepth;

    @Option(names = "--depth-side", defaultValue = "518", description = "Side of the square depth input (default: ${DEFAULT-VALUE}).")
    int depthSide;

    @Option(names = "--runs", defaultValue = "3", description = "Timed runs per row; decode rows take ten times as many, after twenty times the warm-up (default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "1", description = "Untimed runs before each row (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--reference-python", description = "A Python with torch to run the reference rows with.")
    Path python;

    @Option(names = "--sam-source", description = "A segment-anything source folder (holding segment_anything/), for the reference rows.")
    Path samSource;

    @Option(names = "--depth-source", description = "A Depth-Anything-V2 source folder (holding depth_anything_v2/), for the reference rows.")
    Path depthSource;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = device.device();
        int threads = Integer.parseInt(System.getProperty("ai.djl.pytorch.num_threads",
                Integer.toString(Runtime.getRuntime().availableProcessors())));
        out.printf("device %s, %d cores, torch threads %d, DJL %s, engine %s %s, attention %s, convolutions on a CPU: %s%n", dev,
                Runtime.getRuntime().availableProcessors(), threads, Engine.getDjlVersion(), Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(), Attention.unobservedLayers(), Conv2d.onCpu());
        out.flush();
        Map<String, Double> ours = new LinkedHashMap<>();
        List<Path> samConfigs = skipSam ? List.of() : this.samConfigs;
        List<Path> depthConfigs = skipDepth ? List.of() : this.depthConfigs;
        for (Path config : samConfigs) {
            String name = name(config);
            SamConfig c = BenchSupport.config(config, SamConfig.class, "--sam-config");
            try (NDManager m = NDManager.newBaseManager(dev)) {
                SegmentAnything sam = SegmentAnything.build(WeightSet.random(m, DataType.FLOAT32), c, m);
                NDArray pixels = m.randomNormal(new Shape(1, 3, c.imageSize(), c.imageSize()));
                NDArray embedding = sam.encode(pixels);
                row(out, ours, name + " image embedding", BenchSupport.median(runs, warmup, () -> done(sam.encode(pixels))));
                float s = c.imageSize();
                float[][] points = {{s * 0.3f, s * 0.4f}, {s * 0.6f, s * 0.5f}};
                int[] labels = {1, 0};
                row(out, ours, name + " mask decode per prompt", BenchSupport.median(10 * runs, 20 * warmup, () -> {
                    try (NDManager scope = m.newSubManager()) {
                        NDList prompt = sam.promptEmbeddings(scope, points, labels, null);
                        NDList decoded = sam.decode(embedding, prompt.get(0), prompt.get(1), true);
                        return decoded.get(0).toFloatArray().length + decoded.get(1).toFloatArray().length;
                    }
                }));
            }
        }
        for (Path config : depthConfigs) {
            String name = name(config);
            try (NDManager m = NDManager.newBaseManager(dev)) {
                DepthAnything model = DepthAnything.build(WeightSet.random(m, DataType.FLOAT32),
                        BenchSupport.config(config, Dinov2Config.class, "--depth-config"),
                        BenchSupport.config(config, DepthAnythingConfig.class, "--depth-config"), m);
                NDArray pixels = m.randomNormal(new Shape(1, 3, depthSide, depthSide));
                row(out, ours, name + " forward " + depthSide + "x" + depthSide,
                        BenchSupport.median(runs, warmup, () -> done(model.depth(pixels))));
            }
        }
        if (python == null) {
            return 0;
        }
        Map<String, Double> reference = reference(out, threads, samConfigs, depthConfigs);
        out.printf("%n| row | EditStream (s) | PyTorch reference (s) | reference / ours |%n|---|---|---|---|%n");
        ours.forEach((row, seconds) -> {
            Double theirs = reference.get(row);
            out.printf(Locale.ROOT, "| %s | %.3f | %s | %s |%n", row, seconds, theirs == null ? "-" : String.format(Locale.ROOT, "%.3f", theirs),
                    theirs == null ? "-" : String.format(Locale.ROOT, "%.2f", theirs / seconds));
        });
        out.flush();
        return 0;
    }

    /** A row's model name: the manifest's file name, or a config.json's folder. */
    private static String name(Path config) {
        Path file = config.toAbsolutePath().normalize();
        String name = file.getFileName().toString();
        return name.equals("config.json") && file.getParent() != null ? file.getParent().getFileName().toString()
                : name.replaceFirst("\\.json$", "");
    }

    private static void row(PrintWriter out, Map<String, Double> rows, String row, double seconds) {
        rows.put(row, seconds);
        out.printf(Locale.ROOT, "%-48s %9.3f s%n", row, seconds);
        out.flush();
    }

    private static Object done(NDArray result) {
        result.toFloatArray(); // waits for the result
        result.close();
        return null;
    }

    /** Runs the reference script with the same configs and threads; its rows by name. */
    private Map<String, Double> reference(PrintWriter out, int threads, List<Path> samConfigs, List<Path> depthConfigs) throws Exception {
        Path script = Files.createTempFile("editstream-perception-reference", ".py");
        try (InputStream in = BenchPerceptionCommand.class.getResourceAsStream(REFERENCE_SCRIPT)) {
            Files.write(script, in.readAllBytes());
        }
        List<String> command = new ArrayList<>(List.of(python.toString(), script.toString(), "--threads", Integer.toString(threads),
                "--runs", Integer.toString(runs), "--warmup", Integer.toString(warmup), "--depth-side", Integer.toString(depthSide)));
        for (Path config : samConfigs) {
            command.addAll(List.of("--sam", name(config), config.toAbsolutePath().toString(), required(samSource, "--sam-source")));
        }
        for (Path config : depthConfigs) {
            command.addAll(List.of("--depth", name(config), config.toAbsolutePath().toString(), required(depthSource, "--depth-source")));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        // the same malloc settings as this JVM's (NativeAllocator): without them glibc hands PyTorch's large activations
        // fresh pages on every call, which made the reference's Depth Anything ViT-S 5 times slower here
        builder.environment().putIfAbsent("MALLOC_MMAP_THRESHOLD_", Integer.toString(NativeAllocator.MMAP_THRESHOLD));
        builder.environment().putIfAbsent("MALLOC_TRIM_THRESHOLD_", Integer.toString(NativeAllocator.TRIM_THRESHOLD));
        builder.environment().putIfAbsent("MALLOC_TOP_PAD_", Integer.toString(NativeAllocator.TOP_PAD));
        Process process = builder.start();
        Map<String, Double> rows = new LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (!line.startsWith("{")) {
                    continue; // the reference's own log lines
                }
                JsonNode node = json.readTree(line);
                if (node.has("row")) {
                    rows.put(node.get("row").asText(), node.get("seconds").asDouble());
                    out.printf(Locale.ROOT, "reference %-38s %9.3f s%n", node.get("row").asText(), node.get("seconds").asDouble());
                } else {
                    out.println("reference: " + line);
                }
                out.flush();
            }
        }
        int exit = process.waitFor();
        Files.deleteIfExists(script);
        if (exit != 0) {
            throw new IllegalStateException("the reference script exited with " + exit);
        }
        return rows;
    }

    private static String required(Path folder, String flag) {
        if (folder == null) {
            throw new IllegalArgumentException(flag + " is needed with --reference-python");
        }
        return folder.toAbsolutePath().toString();
    }
}
