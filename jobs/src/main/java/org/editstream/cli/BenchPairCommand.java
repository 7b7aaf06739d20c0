package org.editstream.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.diffusion.PromptToPrompt;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TokenAlignment;
import org.editstream.diffusion.UNet;
import org.editstream.diffusion.UNetConfig;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.recipes.GlobalRecipe;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

@Command(name = "pair", mixinStandardHelpOptions = true,
        description = {"Seconds per attention-controlled pair at 10 steps: the whole global recipe on the tiny pipeline",
                "(64x64), and on an SD-1.5-size UNet with random weights the pair's UNet work (10 steps of the",
                "[uncond_S, uncond_T, cond_S, cond_T] batch under Prompt-to-Prompt control, 32x32 latents), without",
                "text encoding and VAE decoding; and tiny pairs batched four to a UNet pass, as the job batches",
                "requests. Medians after warm-up; nothing is asserted."})
class BenchPairCommand implements Callable<Integer> {
    private static final int STEPS = 10;
    private static final int BATCH = 4;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    DiffusionBenchModels models = new DiffusionBenchModels();

    @Option(names = "--runs", defaultValue = "5", description = "Timed pairs on the tiny pipeline (default: ${DEFAULT-VALUE}).")
    int runs;

    @Mixin
    DeviceOption device;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Device dev = device.device();
        out.printf("device %s, %d cores%n", dev, Runtime.getRuntime().availableProcessors());
        try (StableDiffusion sd = StableDiffusion.load(models.tiny, dev, DataType.FLOAT32)) {
            GlobalRecipe recipe = new GlobalRecipe(sd, STEPS, 64, 64);
            SplittableRandom random = new SplittableRandom(1);
            double s = BenchSupport.median(runs, 2, () -> recipe.makeAll(List.of(new GlobalRecipe.Edit(
                    "a photo of a red dog on the grass", "a photo of a red dog on the grass at night", random.split())), 1));
            out.printf("sd-tiny attention-controlled pair, %d steps, 64x64:   %7.3f s%n", STEPS, s);
            List<GlobalRecipe.Edit> batch = new ArrayList<>();
            for (int i = 0; i < BATCH; i++) {
                batch.add(new GlobalRecipe.Edit("a photo of a red dog on the grass number " + i,
                        "a photo of a red dog on the grass at night number " + i, random.split()));
            }
            double b = BenchSupport.median(runs, 1, () -> recipe.makeAll(batch, BATCH));
            out.printf("sd-tiny pairs batched %d to a UNet pass:             %7.3f s per pair%n", BATCH, b / BATCH);
            out.flush();
        }
        if (!models.skipSd15) {
            UNetConfig config = models.sd15();
            try (NDManager m = NDManager.newBaseManager(dev)) {
                UNet unet = new UNet(WeightSet.random(m, DataType.FLOAT32).root(), config);
                int tokens = 77;
                int[] mapper = new int[tokens];
                float[] alphas = new float[tokens];
                for (int j = 0; j < tokens; j++) {
                    mapper[j] = j;
                    alphas[j] = j < 8 ? 1 : 0; // as an inserted phrase would: the first words aligned
                }
                NDArray sample = m.randomNormal(new Shape(4, config.inChannels(), 32, 32));
                NDArray context = m.randomNormal(new Shape(4, tokens, config.contextDim()));
                double s = BenchSupport.median(1, 1, () -> {
                    PromptToPrompt control = new PromptToPrompt(new PromptToPrompt.Settings(PromptToPrompt.Mode.REFINE,
                            0.6, 0.6, 0.15, STEPS, GlobalRecipe.SELF_MAX_TOKENS), new TokenAlignment.Refine(mapper, alphas),
                            null, m.ones(new Shape(1, 1, 32, 32)));
                    for (int i = 0; i < STEPS; i++) {
                        long t = 901 - 100L * i;
                        control.beginStep(i, t);
                        NDArray time = m.full(new Shape(4), (float) t);
                        NDArray outRows = Scoped.apply(in -> unet.forward(in[0], in[1], in[2], control), sample, time, context);
                        outRows.toFloatArray();
                        outRows.close();
                        time.close();
                    }
                    return null;
                });
                out.printf("SD-1.5-size pair's UNet work, %d steps, 32x32 latents: %7.1f s%n", STEPS, s);
            }
        }
        return 0;
    }
}
