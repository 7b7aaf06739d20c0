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
import org.editstream.models.nn.Linear;
import org.editstream.models.sam.SamConfig;
import org.editstream.models.sam.SegmentAnything;
import org.editstream.models.segformer.Segformer;
import org.editstream.models.segformer.SegformerConfig;
import org.editstream.models.vitpose.VitPose;
import org.editstream.models.vitpose.VitPoseConfig;
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
                "embedding (1024x1024) and mask decode per prompt, Depth Anything V2's forward at 518x518, SegFormer's",
                "forward at its processor's size and ViTPose's on 1 and 8 person crops. With --reference-python, the reference",
                "implementations (segment-anything, Depth-Anything-V2 source folders; transformers, eager attention, for",
                "SegFormer and ViTPose) time the same rows in PyTorch on the same threads and malloc settings, after ours, and",
                "the table gives both and the ratio.",
                "Medians after warm-up runs; nothing is asserted."})
class BenchPerceptionCommand implements Callable<Integer> {
    private static final String REFERENCE_SCRIPT = "perception_reference.py";
    /** The ViTPose rows' batches: one person, and a crowded picture's crops in one pass. */
    static final int[] POSE_CROPS = {1, 8};

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--sam-config", description = "SAM manifests or config.json files (repeatable; default: the ViT-B and ViT-H manifests).")
    List<Path> samConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/sam-vit-b.json"),
            Path.of("../shared/fixtures/manifests/sam-vit-h.json")));

    @Option(names = "--depth-config", description = "Depth Anything V2 manifests or config.json files (repeatable; default: ViT-S and ViT-L).")
    List<Path> depthConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/depth-anything-v2-vits.json"),
            Path.of("../shared/fixtures/manifests/depth-anything-v2-vitl.json")));

    @Option(names = "--segformer-config", description = "SegFormer manifests or config.json files (repeatable; default: B0 ADE20K).")
    List<Path> segformerConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/segformer-b0-ade.json")));

    @Option(names = "--vitpose-config", description = "ViTPose manifests or config.json files (repeatable; default: ViTPose-B simple).")
    List<Path> vitposeConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/vitpose-base-simple.json")));

    @Option(names = "--segformer-side", defaultValue = "512", description = "Side of the square SegFormer input (default: ${DEFAULT-VALUE}, B0 ADE20K's processor size).")
    int segformerSide;

    @Option(names = "--only", split = ",", description = "Only these families' rows: sam, depth, segformer, vitpose (default: all).")
    List<String> only = new ArrayList<>();

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
        out.printf("device %s, %d cores, torch threads %d, DJL %s, engine %s %s, attention %s, convolutions on a CPU: %s, "
                        + "linear layers on a CPU: %s%n", dev, Runtime.getRuntime().availableProcessors(), threads, Engine.getDjlVersion(),
                Engine.getInstance().getEngineName(), Engine.getInstance().getVersion(), Attention.unobservedLayers(), Conv2d.onCpu(),
                Linear.onCpu());
        out.flush();
        Map<String, Double> ours = new LinkedHashMap<>();
        List<Path> samConfigs = skipSam || !wanted("sam") ? List.of() : this.samConfigs;
        List<Path> depthConfigs = skipDepth || !wanted("depth") ? List.of() : this.depthConfigs;
        List<Path> segformerConfigs = wanted("segformer") ? this.segformerConfigs : List.of();
        List<Path> vitposeConfigs = wanted("vitpose") ? this.vitposeConfigs : List.of();
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
        for (Path config : segformerConfigs) {
            String name = name(config);
            try (NDManager m = NDManager.newBaseManager(dev)) {
                Segformer model = Segformer.build(WeightSet.random(m, DataType.FLOAT32),
                        BenchSupport.config(config, SegformerConfig.class, "--segformer-config"), m);
                NDArray pixels = m.randomNormal(new Shape(1, 3, segformerSide, segformerSide));
                row(out, ours, name + " forward " + segformerSide + "x" + segformerSide,
                        BenchSupport.median(runs, warmup, () -> done(model.logits(pixels))));
            }
        }
        for (Path config : vitposeConfigs) {
            String name = name(config);
            try (NDManager m = NDManager.newBaseManager(dev)) {
                VitPoseConfig c = BenchSupport.config(config, VitPoseConfig.class, "--vitpose-config");
                VitPose model = VitPose.build(WeightSet.random(m, DataType.FLOAT32), c, m);
                for (int crops : POSE_CROPS) {
                    NDArray pixels = m.randomNormal(new Shape(crops, 3, c.backboneConfig().height(), c.backboneConfig().width()));
                    row(out, ours, poseRow(name, crops, c.backboneConfig().height(), c.backboneConfig().width()),
                            BenchSupport.median(runs, warmup, () -> done(model.heatmaps(pixels))));
                }
            }
        }
        out.printf("convolutions on a CPU so far: %s; linear layers: %s%n", Conv2d.census(), Linear.census());
        if (python == null) {
            return 0;
        }
        Map<String, Double> reference = reference(out, threads, samConfigs, depthConfigs, segformerConfigs, vitposeConfigs);
        out.printf("%n| row | EditStream (s) | PyTorch reference (s) | reference / ours |%n|---|---|---|---|%n");
        ours.forEach((row, seconds) -> {
            Double theirs = reference.get(row);
            out.printf(Locale.ROOT, "| %s | %.3f | %s | %s |%n", row, seconds, theirs == null ? "-" : String.format(Locale.ROOT, "%.3f", theirs),
                    theirs == null ? "-" : String.format(Locale.ROOT, "%.2f", theirs / seconds));
        });
        out.flush();
        return 0;
    }

    private boolean wanted(String family) {
        return only.isEmpty() || only.contains(family);
    }

    /** The ViTPose row of a batch of crops; the reference script names its rows the same way. */
    private static String poseRow(String name, int crops, int height, int width) {
        return name + " forward " + crops + (crops == 1 ? " crop " : " crops ") + height + "x" + width;
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
    private Map<String, Double> reference(PrintWriter out, int threads, List<Path> samConfigs, List<Path> depthConfigs,
                                          List<Path> segformerConfigs, List<Path> vitposeConfigs) throws Exception {
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
        command.addAll(List.of("--segformer-side", Integer.toString(segformerSide), "--pose-crops",
                java.util.Arrays.stream(POSE_CROPS).mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","))));
        for (Path config : segformerConfigs) {
            command.addAll(List.of("--segformer", name(config), config.toAbsolutePath().toString()));
        }
        for (Path config : vitposeConfigs) {
            command.addAll(List.of("--vitpose", name(config), config.toAbsolutePath().toString()));
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
