package org.editstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.UNet;
import org.editstream.diffusion.UNetConfig;
import org.editstream.diffusion.UNetHooks;
import org.editstream.models.NativeAllocator;
import org.editstream.models.nn.Attention;
import org.editstream.models.nn.Conv2d;
import org.editstream.models.nn.Linear;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

@Command(name = "diffusion", mixinStandardHelpOptions = true,
        description = {"Times the diffusion engine: the tiny pipeline's UNet forward (batch 2, 32x32 latents) and",
                "text-to-image (10 guided steps, 64x64), and an SD-1.5-size UNet forward with random weights",
                "(batch 2, 32x32 latents). Medians after warm-up runs (the tiny rows for --warmup seconds at",
                "least, the JVM's steady state); nothing is asserted."})
class BenchDiffusionCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    DiffusionBenchModels models = new DiffusionBenchModels();

    @Option(names = "--runs", defaultValue = "10", description = "Timed runs of the tiny rows (the SD-1.5 row takes a third, at least 2; default: ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--warmup", defaultValue = "5", description = "Seconds of untimed calls before each tiny row (default: ${DEFAULT-VALUE}).")
    double warmup;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = device.device();
        out.printf("device %s, %d cores, torch threads %s, DJL %s, engine %s %s, native allocator %s, attention %s, "
                        + "convolutions on a CPU: %s, linear layers on a CPU: %s%n", dev,
                Runtime.getRuntime().availableProcessors(), System.getProperty("ai.djl.pytorch.num_threads", "default"),
                Engine.getDjlVersion(), Engine.getInstance().getEngineName(), Engine.getInstance().getVersion(),
                NativeAllocator.tune(), Attention.unobservedLayers(), Conv2d.onCpu(), Linear.onCpu());
        out.flush();
        try (StableDiffusion sd = StableDiffusion.load(models.tiny, dev, DataType.FLOAT32)) {
            NDManager m = sd.manager();
            NDArray sample = m.randomNormal(new Shape(2, sd.unet().config().inChannels(), 32, 32));
            NDArray context = m.randomNormal(new Shape(2, 77, sd.unet().config().contextDim()));
            NDArray t = m.create(new float[] {981f, 981f});
            double ms = BenchSupport.median(runs, 10, warmup, () -> unetOnce(sd.unet(), sample, context, t)) * 1e3;
            out.printf("sd-tiny UNet forward, batch 2, 32x32:        %8.1f ms   (%.1f steps/s)%n", ms, 1e3 / ms);
            out.flush();
            double s = BenchSupport.median(runs, 1, warmup, () -> sd.textToImage("a photo of a red dog on the grass", "",
                    10, 7.5, 1, 64, 64, StableDiffusion.StepListener.NONE));
            out.printf("sd-tiny text-to-image, 10 guided steps, 64x64: %6.3f s    (%.1f steps/s)%n", s, 10 / s);
            out.printf("convolutions on a CPU so far: %s; linear layers: %s%n", Conv2d.census(), Linear.census());
            out.flush();
        }
        if (!models.skipSd15) {
            UNetConfig config = models.sd15();
            try (NDManager m = NDManager.newBaseManager(dev)) {
                long loadStart = System.nanoTime();
                UNet unet = new UNet(WeightSet.random(m, DataType.FLOAT32).root(), config);
                out.printf("SD-1.5 UNet with random weights built in %.1f s%n", (System.nanoTime() - loadStart) / 1e9);
                NDArray sample = m.randomNormal(new Shape(2, config.inChannels(), 32, 32));
                NDArray context = m.randomNormal(new Shape(2, 77, config.contextDim()));
                NDArray t = m.create(new float[] {501f, 501f});
                double first = seconds(() -> unetOnce(unet, sample, context, t));
                double s = BenchSupport.median(Math.max(2, runs / 3), 0, () -> unetOnce(unet, sample, context, t));
                out.printf("SD-1.5 UNet forward, batch 2, 32x32:          %6.3f s    (%.2f steps/s)%n", s, 1 / s);
                // a new input shape: packed layers prove their first result there against the dense convolution
                NDArray one = sample.get("0:1");
                NDArray oneContext = context.get("0:1");
                NDArray oneT = t.get("0:1");
                double proving = seconds(() -> unetOnce(unet, one, oneContext, oneT));
                double proven = seconds(() -> unetOnce(unet, one, oneContext, oneT));
                out.printf("SD-1.5 first forward (packs, proves batch 2): %6.3f s; batch 1 first (proves) %.3f s, second %.3f s%n",
                        first, proving, proven);
                out.printf("convolutions on a CPU so far: %s; linear layers: %s%n", Conv2d.census(), Linear.census());
            }
        }
        return 0;
    }

    private static double seconds(Runnable work) {
        long start = System.nanoTime();
        work.run();
        return (System.nanoTime() - start) / 1e9;
    }

    private static Object unetOnce(UNet unet, NDArray sample, NDArray context, NDArray t) {
        NDArray out = Scoped.apply(in -> unet.forward(in[0], in[1], in[2], UNetHooks.NONE), sample, t, context);
        out.toFloatArray(); // wait for the result
        out.close();
        return null;
    }
}
