package org.editstream.diffusion;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.ImageTensors;
import org.editstream.models.ModelException;
import org.editstream.models.ModelFolder;
import org.editstream.models.NativeAllocator;
import org.editstream.models.Scoped;
import org.editstream.models.WeightSet;
import org.editstream.models.WeightSource;
import org.editstream.models.clip.ClipTextConfig;
import org.editstream.models.clip.ClipTextEncoder;
import org.editstream.models.clip.ClipTokenizer;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A Stable Diffusion pipeline folder in the diffusers layout, loaded once and shared by every request (the
 * weights are read-only; each call allocates in its own scopes). Text-to-image with classifier-free guidance,
 * DDIM inversion, and inpainting when the UNet takes 9 channels.
 */
public final class StableDiffusion implements AutoCloseable {
    /** Called after every denoising or inversion step with the new latents (valid during the call only). */
    @FunctionalInterface
    public interface StepListener {
        StepListener NONE = (index, timestep, latents) -> { };

        void onStep(int index, long timestep, NDArray latents);
    }

    private final NDManager manager;
    private final ClipTokenizer tokenizer;
    private final ClipTextEncoder textEncoder;
    private final UNet unet;
    private final Vae vae;
    private final DdimScheduler scheduler;
    private final DataType dtype;

    private StableDiffusion(NDManager manager, ClipTokenizer tokenizer, ClipTextEncoder textEncoder, UNet unet, Vae vae,
                            DdimScheduler scheduler, DataType dtype) {
        this.manager = manager;
        this.dtype = dtype;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.unet = unet;
        this.vae = vae;
        this.scheduler = scheduler;
    }

    /** The pipeline in {@code folder}, on the device, with floating-point weights in {@code dtype}. */
    public static StableDiffusion load(Path folder, Device device, DataType dtype) {
        return load(folder, folder.resolve("unet"), device, dtype);
    }

    /** As {@link #load(Path, Device, DataType)} with the UNet from another folder (an inpainting UNet). */
    public static StableDiffusion load(Path folder, Path unetFolder, Device device, DataType dtype) {
        return load(folder, unetFolder, device, dtype, WeightSource.FILES);
    }

    /** As {@link #load(Path, Path, Device, DataType)} with the tensors from {@code weights}. */
    public static StableDiffusion load(Path folder, Path unetFolder, Device device, DataType dtype, WeightSource weights) {
        if (!Files.isRegularFile(folder.resolve("model_index.json"))) {
            throw new ModelException(folder + " is not a diffusers pipeline folder: it has no model_index.json");
        }
        NativeAllocator.tune(); // before the first activations are allocated
        NDManager manager = org.editstream.models.Resident.manager(device);
        try {
            ClipTokenizer tokenizer = ClipTokenizer.load(folder.resolve("tokenizer"));
            Path te = folder.resolve("text_encoder");
            WeightSet teWeights = weights.open(manager, te, dtype, UnaryOperator.identity());
            ClipTextEncoder textEncoder = new ClipTextEncoder(teWeights.root().child("text_model"),
                    ModelFolder.config(te, ClipTextConfig.class));
            // full CLIPModel-style files carry a vision tower and projections the text encoder does not use
            teWeights.closeUnused();

            WeightSet unetWeights = weights.open(manager, unetFolder, dtype, UnaryOperator.identity());
            UNet unet = new UNet(unetWeights.root(), ModelFolder.config(unetFolder, UNetConfig.class));
            unetWeights.requireAllUsed(List.of());

            Path vaeFolder = folder.resolve("vae");
            VaeConfig vaeConfig = ModelFolder.config(vaeFolder, VaeConfig.class);
            WeightSet vaeWeights = weights.open(manager, vaeFolder, vaeConfig.computeType(dtype), Vae.LEGACY_NAMES);
            Vae vae = new Vae(vaeWeights.root(), vaeConfig);
            vaeWeights.requireAllUsed(List.of());

            DdimScheduler scheduler = new DdimScheduler(ModelFolder.json(
                    folder.resolve("scheduler").resolve("scheduler_config.json"), SchedulerConfig.class));
            return new StableDiffusion(manager, tokenizer, textEncoder, unet, vae, scheduler, dtype);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public UNet unet() {
        return unet;
    }

    public Vae vae() {
        return vae;
    }

    public DdimScheduler scheduler() {
        return scheduler;
    }

    public ClipTokenizer tokenizer() {
        return tokenizer;
    }

    /** Whether the UNet is an inpainting one (latents + mask + masked-image latents). */
    public boolean inpainting() {
        return unet.config().inChannels() == 2 * vae.config().latentChannels() + 1;
    }

    /** Pixels per latent along each side: 2 to the number of VAE downsamplings. */
    public int vaeScale() {
        return 1 << (vae.config().blockOutChannels().size() - 1);
    }

    /** Text states [N, T, C] of the prompts, on {@code m}. */
    public NDArray embed(NDManager m, List<String> prompts) {
        long[][] ids = new long[prompts.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = tokenizer.encode(prompts.get(i));
        }
        NDArray tokens = m.create(ids);
        NDArray states = Scoped.apply(in -> textEncoder.encode(in[0]), tokens);
        tokens.close();
        return states.toType(dtype, false);
    }

    /**
     * DDIM sampling with classifier-free guidance (batch [uncond, cond] when {@code guidance > 1}).
     *
     * @param latents initial noise [B, c, h, w]
     * @param cond    text states [B, T, C]; {@code uncond} likewise (ignored without guidance)
     * @param extra   channels appended to the UNet input (inpainting: mask and masked-image latents) or null
     * @return the final latents, on the manager of {@code latents}
     */
    public NDArray sample(NDArray latents, NDArray cond, NDArray uncond, int steps, double guidance, NDArray extra,
                          UNetHooks hooks, StepListener listener) {
        float[] perRow = new float[Math.toIntExact(latents.getShape().get(0))];
        java.util.Arrays.fill(perRow, (float) guidance);
        return sample(latents, cond, uncond, steps, perRow, extra, hooks, listener);
    }

    /**
     * As {@link #sample(NDArray, NDArray, NDArray, int, double, NDArray, UNetHooks, StepListener)} with a guidance
     * scale per latent row, so requests with different scales share one batch. Guidance applies when any scale
     * exceeds 1; a row with scale 1 then gets its conditional prediction, as it would unguided.
     */
    public NDArray sample(NDArray latents, NDArray cond, NDArray uncond, int steps, float[] guidance, NDArray extra,
                          UNetHooks hooks, StepListener listener) {
        if (guidance.length != latents.getShape().get(0)) {
            throw new IllegalArgumentException(guidance.length + " guidance scales for " + latents.getShape().get(0)
                    + " latent rows");
        }
        boolean guided = false;
        boolean uniform = true;
        for (float g : guidance) {
            guided |= g > 1;
            uniform &= g == guidance[0];
        }
        boolean cfg = guided;
        boolean same = uniform;
        NDArray context = cfg ? uncond.concat(cond, 0) : cond;
        long[] timesteps = scheduler.timesteps(steps);
        NDArray x = latents;
        for (int i = 0; i < steps; i++) {
            long t = timesteps[i];
            int index = i;
            hooks.beginStep(i, t);
            List<NDArray> inputs = new ArrayList<>(List.of(x, context));
            if (extra != null) {
                inputs.add(extra);
            }
            NDArray next = Scoped.apply(in -> {
                NDArray model = cfg ? in[0].concat(in[0], 0) : in[0];
                if (in.length > 2) {
                    model = model.concat(cfg ? in[2].concat(in[2], 0) : in[2], 1);
                }
                NDArray time = in[0].getManager().full(new Shape(model.getShape().get(0)), (float) t);
                NDArray out = unet.forward(model, time, in[1], hooks);
                if (cfg) {
                    long half = out.getShape().get(0) / 2;
                    NDArray u = out.get("0:" + half);
                    NDArray c = out.get(half + ":");
                    NDArray scale = same ? null : out.getManager().create(guidance, new Shape(half, 1, 1, 1))
                            .toType(out.getDataType(), false);
                    out = u.add(same ? c.sub(u).mul(guidance[0]) : c.sub(u).mul(scale));
                }
                return hooks.endStep(index, scheduler.step(out, t, in[0], steps));
            }, inputs.toArray(NDArray[]::new));
            listener.onStep(i, t, next);
            if (x != latents) {
                x.close();
            }
            x = next;
        }
        if (context != cond) {
            context.close();
        }
        return x;
    }

    /** DDIM inversion without guidance from clean latents (already scaled) to noise, {@code steps} steps. */
    public NDArray invert(NDArray latents, NDArray cond, int steps, UNetHooks hooks, StepListener listener) {
        long[] timesteps = scheduler.inverseTimesteps(steps);
        NDArray x = latents;
        for (int i = 0; i < steps; i++) {
            long t = timesteps[i];
            hooks.beginStep(i, t);
            NDArray next = Scoped.apply(in -> {
                NDArray time = in[0].getManager().full(new Shape(in[0].getShape().get(0)), (float) t);
                return scheduler.inverseStep(unet.forward(in[0], time, in[1], hooks), t, in[0], steps);
            }, x, cond);
            listener.onStep(i, t, next);
            if (x != latents) {
                x.close();
            }
            x = next;
        }
        return x;
    }

    /**
     * Images [B, 3, H, W] in [0, 1] from sampled (scaled) latents, one image at a time: the decoder's activations at
     * full resolution are the engine's largest (gigabytes for one 512x512 image in float32), so a batch of pairs needs
     * no more memory to decode than one image.
     */
    public NDArray decode(NDArray latents) {
        float sf = vae.config().scalingFactor().floatValue();
        long rows = latents.getShape().get(0);
        if (rows == 1) {
            DataType vaeType = vae.config().computeType(dtype);
            return Scoped.apply(in -> vae.decode(in[0].toType(vaeType, false).div(sf)).div(2f).add(0.5f).clip(0f, 1f), latents);
        }
        NDList images = new NDList();
        try {
            for (long r = 0; r < rows; r++) {
                NDArray row = latents.get(r + ":" + (r + 1));
                images.add(decode(row));
                row.close();
            }
            return NDArrays.concat(images, 0);
        } finally {
            images.close();
        }
    }

    /** Scaled latent means [B, c, h, w] of images in [0, 1]: what the UNet sees for these images. */
    public NDArray encode(NDArray images) {
        float sf = vae.config().scalingFactor().floatValue();
        DataType vaeType = vae.config().computeType(dtype);
        return Scoped.apply(in -> vae.encode(in[0].toType(vaeType, false).mul(2f).sub(1f))[0].mul(sf).toType(dtype, false), images);
    }

    /**
     * The inpainting UNet's extra input channels [B, 1 + c, h, w]: the mask at latent resolution (nearest) and
     * the scaled latent mean of the image with the masked region blanked ({@code image * (mask < 0.5)}).
     *
     * @param images [B, 3, H, W] in [0, 1]; {@code mask} [B, 1, H, W], 1 = repaint
     */
    public NDArray inpaintChannels(NDArray images, NDArray mask) {
        DataType vaeType = vae.config().computeType(dtype);
        return Scoped.apply(in -> {
            NDArray image = in[0].toType(vaeType, false);
            NDArray keep = in[1].lt(0.5f).toType(vaeType, false);
            NDArray maskedLatents = vae.encode(image.mul(2f).sub(1f).mul(keep))[0]
                    .mul(vae.config().scalingFactor().floatValue()).toType(dtype, false);
            NDArray small = Resize.nearest(in[1].toType(dtype, false), maskedLatents.getShape().get(2), maskedLatents.getShape().get(3));
            return small.concat(maskedLatents, 1);
        }, images, mask);
    }

    /** Text to image: seeded noise, guided DDIM sampling, decoding. */
    public BufferedImage textToImage(String prompt, String negative, int steps, double guidance, long seed, int width,
                                     int height, StepListener listener) {
        int scale = vaeScale();
        if (width % scale != 0 || height % scale != 0) {
            throw new IllegalArgumentException("width and height must be multiples of " + scale + ", got "
                    + width + "x" + height);
        }
        try (NDManager request = manager.newSubManager()) {
            NDArray cond = embed(request, List.of(prompt));
            NDArray uncond = embed(request, List.of(negative == null ? "" : negative));
            NDArray noise = Noise.gaussian(request, new Shape(1, vae.config().latentChannels(), height / scale,
                    width / scale), seed).toType(dtype, false);
            NDArray latents = sample(noise, cond, uncond, steps, guidance, null, UNetHooks.NONE, listener);
            return ImageTensors.toImage(decode(latents));
        }
    }

    /** The manager owning the weights; requests make sub-managers of it. */
    public NDManager manager() {
        return manager;
    }

    /** The floating-point type of the weights, which activations follow. */
    public DataType dtype() {
        return dtype;
    }

    @Override
    public void close() {
        manager.close();
    }
}
