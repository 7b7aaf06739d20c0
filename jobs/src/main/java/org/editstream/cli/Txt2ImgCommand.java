package org.editstream.cli;

import me.tongfei.progressbar.ProgressBar;
import org.editstream.local.ConsoleProgress;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.models.Devices;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "txt2img", mixinStandardHelpOptions = true,
        description = "Generates an image from a prompt with a Stable Diffusion pipeline folder (diffusers layout).")
public class Txt2ImgCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Pipeline folder: model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/.")
    Path model;

    @Option(names = "--prompt", required = true, description = "What to draw.")
    String prompt;

    @Option(names = "--negative", defaultValue = "", description = "Negative prompt (default: empty).")
    String negative;

    @Option(names = "--steps", defaultValue = "30", description = "DDIM steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--guidance", defaultValue = "7.5", description = "Classifier-free guidance scale; 1 or less turns it off (default: ${DEFAULT-VALUE}).")
    double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the initial noise (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--size", description = "WIDTHxHEIGHT or one number for a square (default: the UNet's sample size times the VAE scale).")
    String size;

    @Option(names = "--out", defaultValue = "txt2img.png", description = "PNG file to write (default: ${DEFAULT-VALUE}).")
    Path out;

    @Mixin
    DeviceOption device;

    @Option(names = "--precision", defaultValue = "float32", description = "Weights and activations: float32, float16 or bfloat16 (half precision is meant for GPUs; default: ${DEFAULT-VALUE}).")
    String precision;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        long started = System.nanoTime();
        try (StableDiffusion sd = StableDiffusion.load(model, device.device(), Devices.precision(precision))) {
            int[] wh = size(sd);
            console.printf("Loaded %s in %.1f s; %dx%d, %d steps, guidance %.2f, seed %d%n", model,
                    (System.nanoTime() - started) / 1e9, wh[0], wh[1], steps, guidance, seed);
            console.flush();
            BufferedImage image;
            try (ProgressBar bar = ConsoleProgress.bar("steps", steps)) {
                image = sd.textToImage(prompt, negative, steps, guidance, seed, wh[0], wh[1], (i, t, x) -> bar.stepTo(i + 1));
            }
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            ImageIO.write(image, "png", out.toFile());
            console.printf("Wrote %s (%.1f s in all)%n", out, (System.nanoTime() - started) / 1e9);
        }
        return 0;
    }

    private int[] size(StableDiffusion sd) {
        if (size == null) {
            int side = sd.unet().config().sampleSize() * sd.vaeScale();
            return new int[] {side, side};
        }
        String[] parts = size.toLowerCase().split("x");
        try {
            int w = Integer.parseInt(parts[0].strip());
            int h = parts.length > 1 ? Integer.parseInt(parts[1].strip()) : w;
            if (parts.length > 2 || w <= 0 || h <= 0) {
                throw new NumberFormatException();
            }
            return new int[] {w, h};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--size must be WIDTHxHEIGHT or one number, got '" + size + "'");
        }
    }
}
