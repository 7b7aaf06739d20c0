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
import org.editstream.models.gdino.BertTokenizer;
import org.editstream.models.gdino.GroundingDino;
import org.editstream.models.gdino.GroundingDinoConfig;
import org.editstream.models.gdino.GroundingText;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.DeformableAttention;
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
                "forward at its processor's size, ViTPose's on 1 and 8 person crops, and Grounding DINO's forward on one 800x1333",
                "image and a two-phrase caption (grounding-dino-tiny's size with random weights, and the tiny fixture's",
                "checkpoint) with deformable attention's share of it. With --reference-python, the reference implementations",
                "(segment-anything, Depth-Anything-V2 source folders; transformers, eager attention, for SegFormer, ViTPose and",
                "Grounding DINO) time the same rows in PyTorch on the same threads and malloc settings, after ours, and the",
                "table gives both and the ratio.",
                "Medians after warm-up runs; nothing is asserted."})
class BenchPerceptionCommand implements Callable<Integer> {
    private static final String REFERENCE_SCRIPT = "perception_reference.py";
    /** The least warm-up of a Grounding DINO row, after its --warmup calls. */
    static final double WARMUP_SECONDS = 10;
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

    @Option(names = "--only", split = ",", description = "Only these families' rows: sam, depth, segformer, vitpose, gdino (default: all).")
    List<String> only = new ArrayList<>();

    @Option(names = "--gdino-config", description = "Grounding DINO manifests or config.json files, run with random weights "
            + "(repeatable; default: the grounding-dino-tiny manifest).")
    List<Path> gdinoConfigs = new ArrayList<>(List.of(Path.of("../shared/fixtures/manifests/grounding-dino-tiny.json")));

    @Option(names = "--gdino-model", description = "Grounding DINO checkpoint folders (the Hugging Face layout), run with their "
            + "weights (repeatable; default: the tiny fixture).")
    List<Path> gdinoModels = new ArrayList<>(List.of(Path.of("../shared/fixtures/grounding-dino-tiny")));

    @Option(names = "--gdino-size", defaultValue = "800x1333",
            description = "HEIGHTxWIDTH of the Grounding DINO input (default: ${DEFAULT-VALUE}, its processor's shortest and longest edge).")
    String gdinoSize;

    @Option(names = "--gdino-tokenizer", defaultValue = "../shared/fixtures/grounding-dino-tiny",
            description = "A folder with the BERT vocab.txt the caption is tokenized with for the random-weight rows (default: ${DEFAULT-VALUE}).")
    Path gdinoTokenizer;

    @Option(names = "--gdino-caption", defaultValue = "a cat. a remote control.",
            description = "The caption grounded (default: ${DEFAULT-VALUE}).")
    String gdinoCaption;

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
        List<Path> gdinoConfigs = wanted("gdino") ? this.gdinoConfigs : List.of();
        List<Path> gdinoModels = wanted("gdino") ? this.gdinoModels : List.of();
        Map<String, Double> deformableShare = new LinkedHashMap<>();
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
        int[] side = gdinoSide();
        BertTokenizer tokenizer = gdinoConfigs.isEmpty() ? null : BertTokenizer.load(gdinoTokenizer);
        for (Path config : gdinoConfigs) {
            try (NDManager m = NDManager.newBaseManager(dev)) {
                GroundingDino model = GroundingDino.build(WeightSet.random(m, DataType.FLOAT32),
                        BenchSupport.config(config, GroundingDinoConfig.class, "--gdino-config"), m);
                gdinoRow(out, ours, deformableShare, name(config) + " forward " + side[0] + "x" + side[1], model, m, side, tokenizer);
            }
        }
        for (Path folder : gdinoModels) {
            try (GroundingDino model = GroundingDino.load(folder, dev, DataType.FLOAT32)) {
                gdinoRow(out, ours, deformableShare, checkpointName(folder) + " forward " + side[0] + "x" + side[1], model,
                        model.manager(), side, BertTokenizer.load(folder));
            }
        }
        out.printf("convolutions on a CPU so far: %s; linear layers: %s%n", Conv2d.census(), Linear.census());
        if (python == null) {
            deformableShare.forEach((row, share) -> out.printf(Locale.ROOT, "%s: deformable attention %.1f%% of the forward%n", row, 100 * share));
            return 0;
        }
        Map<String, Double> referenceShare = new LinkedHashMap<>();
        Map<String, Double> reference = reference(out, threads, samConfigs, depthConfigs, segformerConfigs, vitposeConfigs,
                gdinoConfigs, gdinoModels, side, tokenizer, referenceShare);
        out.printf("%n| row | EditStream (s) | PyTorch reference (s) | reference / ours |%n|---|---|---|---|%n");
        ours.forEach((row, seconds) -> {
            Double theirs = reference.get(row);
            out.printf(Locale.ROOT, "| %s | %.3f | %s | %s |%n", row, seconds, theirs == null ? "-" : String.format(Locale.ROOT, "%.3f", theirs),
                    theirs == null ? "-" : String.format(Locale.ROOT, "%.2f", theirs / seconds));
        });
        if (!deformableShare.isEmpty()) {
            out.printf("%n| row | deformable attention, EditStream | deformable attention, reference |%n|---|---|---|%n");
            deformableShare.forEach((row, share) -> {
                Double theirs = referenceShare.get(row);
                out.printf(Locale.ROOT, "| %s | %.1f%% | %s |%n", row, 100 * share,
                        theirs == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * theirs));
            });
        }
        out.flush();
        return 0;
    }

    /** The caption's token ids as the reference script takes them: "101,1037,...". */
    private String ids(BertTokenizer tokenizer) {
        return java.util.Arrays.stream(tokenizer.encode(gdinoCaption)).mapToObj(Long::toString)
                .collect(java.util.stream.Collectors.joining(","));
    }

    private int[] gdinoSide() {
        String[] parts = gdinoSize.split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("--gdino-size takes HEIGHTxWIDTH, e.g. 800x1333, not " + gdinoSize);
        }
        return new int[] {Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip())};
    }

    /**
     * The encoder's pass on copies of the inputs in {@code scope}: the model computes in its inputs' manager, so each
     * pass's arrays are freed with its scope rather than piling up in the row's.
     */
    private static GroundingDino.Encoded encode(GroundingDino model, NDManager scope, NDArray pixels, NDArray mask,
                                                GroundingText text) {
        NDArray p = pixels.duplicate();
        p.attach(scope);
        NDArray k = mask.duplicate();
        k.attach(scope);
        return model.encode(p, k, text);
    }

    /** A checkpoint folder's row name: its folder, marked as the checkpoint's own weights. */
    private static String checkpointName(Path folder) {
        return folder.toAbsolutePath().normalize().getFileName() + " checkpoint";
    }

    /**
     * Grounding DINO's forward on one image of random pixels and the caption (encoder and decoder with the heads: logits
     * and boxes), and the share of each timed forward spent in multi-scale deformable attention, as medians.
     */
    private void gdinoRow(PrintWriter out, Map<String, Double> rows, Map<String, Double> shares, String row, GroundingDino model,
                          NDManager parent, int[] side, BertTokenizer tokenizer) {
        GroundingText text = GroundingText.of(tokenizer, List.of(gdinoCaption)).truncated(model.config().maxTextLen());
        double[] seconds = new double[runs];
        double[] share = new double[runs];
        try (NDManager m = parent.newSubManager()) {
            NDArray pixels = m.randomNormal(new Shape(1, 3, side[0], side[1]));
            NDArray mask = m.ones(new Shape(1, side[0], side[1]), DataType.INT64);
            // warm-up as the other rows' (BenchSupport): the small checkpoint's forward reaches its steady state only
            // after about forty calls, once the JVM has compiled the Java around the model
            long warmupEnd = System.nanoTime() + (long) (WARMUP_SECONDS * 1e9);
            for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
                try (NDManager scope = m.newSubManager()) {
                    model.detect(encode(model, scope, pixels, mask, text)).logits().toFloatArray();
                }
            }
            for (int i = 0; i < runs; i++) {
                DeformableAttention.Timing before = DeformableAttention.timing();
                long start = System.nanoTime();
                try (NDManager scope = m.newSubManager()) {
                    GroundingDino.Detection d = model.detect(encode(model, scope, pixels, mask, text));
                    d.logits().toFloatArray();
                    d.boxes().toFloatArray();
                }
                double elapsed = (System.nanoTime() - start) / 1e9;
                seconds[i] = elapsed;
                share[i] = (DeformableAttention.timing().seconds() - before.seconds()) / elapsed;
            }
        }
        row(out, rows, row, BenchSupport.median(seconds));
        shares.put(row, BenchSupport.median(share));
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
                                          List<Path> segformerConfigs, List<Path> vitposeConfigs, List<Path> gdinoConfigs,
                                          List<Path> gdinoModels, int[] side, BertTokenizer tokenizer, Map<String, Double> shares)
            throws Exception {
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
        command.addAll(List.of("--gdino-size", side[0] + "x" + side[1]));
        for (Path config : gdinoConfigs) {
            command.addAll(List.of("--gdino", name(config), config.toAbsolutePath().toString(), ids(tokenizer)));
        }
        for (Path folder : gdinoModels) {
            command.addAll(List.of("--gdino-model", checkpointName(folder), folder.toAbsolutePath().toString(),
                    ids(BertTokenizer.load(folder))));
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
                    if (node.has("deformable_share")) {
                        shares.put(node.get("row").asText(), node.get("deformable_share").asDouble());
                    }
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
