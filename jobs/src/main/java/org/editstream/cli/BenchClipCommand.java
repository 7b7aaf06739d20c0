package org.editstream.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.clip.ClipConfig;
import org.editstream.models.clip.ClipModel;
import org.editstream.models.clip.ClipVisionEncoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "clip", mixinStandardHelpOptions = true,
        description = {"CLIP image embeddings per second: the tiny CLIP model, and a ViT-L/14-size vision tower with",
                "random weights (from the manifest's config). Batches of --batch images; nothing is asserted."})
class BenchClipCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--tiny", defaultValue = "../shared/fixtures/clip-tiny", description = "Tiny CLIP folder (default: ${DEFAULT-VALUE}).")
    Path tiny;

    @Option(names = "--large-config", defaultValue = "../shared/fixtures/manifests/clip-vit-l14.json",
            description = "CLIPModel config of the large row: a config.json or a manifest with a \"config\" member (default: ${DEFAULT-VALUE}).")
    Path largeConfig;

    @Option(names = "--batch", defaultValue = "8", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--runs", defaultValue = "5", description = "Timed forward passes per row (default: ${DEFAULT-VALUE}).")
    int runs;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = device.device();
        try (ClipModel clip = ClipModel.load(tiny, dev, DataType.FLOAT32)) {
            int size = clip.config().visionConfig().imageSize();
            NDArray pixels = clip.manager().randomNormal(new Shape(batch, 3, size, size));
            double perSecond = batch / seconds(() -> clip.imageFeatures(pixels));
            out.printf("tiny CLIP image embeddings (%dx%d):        %8.1f images/s%n", size, size, perSecond);
            out.flush();
        }
        ClipConfig config = BenchSupport.config(largeConfig, ClipConfig.class, "--large-config");
        try (NDManager m = NDManager.newBaseManager(dev)) {
            ClipVisionEncoder vision = new ClipVisionEncoder(WeightSet.random(m, DataType.FLOAT32).root().child("vision_model"),
                    config.visionConfig());
            int size = config.visionConfig().imageSize();
            NDArray pixels = m.randomNormal(new Shape(batch, 3, size, size));
            double perSecond = batch / seconds(() -> Scoped.apply(in -> vision.pooled(in[0]), pixels));
            out.printf("ViT-L/14-size image embeddings (%dx%d): %8.1f images/s%n", size, size, perSecond);
        }
        return 0;
    }
    /** Median seconds of one forward pass (waiting for its result) after one warm-up. */
    private double seconds(java.util.function.Supplier<NDArray> body) {
        return BenchSupport.median(runs, 1, () -> {
            NDArray result = body.get();
            result.toFloatArray();
            result.close();
            return null;
        });
    }
}
