package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Whole trajectories against the reference pipelines: text-to-image, DDIM inversion, inpainting. */
class PipelineParityTest {
    @Test
    void textToImageFollowsTheReferenceTrajectory() {
        StableDiffusion sd = TinyPipeline.get();
        Map<String, String> meta = Safetensors.metadata(Fixtures.path("sd-tiny/golden/txt2img.safetensors"));
        try (NDManager m = sd.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, "sd-tiny/golden/txt2img.safetensors");
            NDArray cond = sd.embed(m, List.of(meta.get("prompt")));
            NDArray uncond = sd.embed(m, List.of(meta.get("negative_prompt")));
            Fixtures.assertClose("cond_embeds", cond, golden.get("cond_embeds"), 1e-4);
            Fixtures.assertClose("uncond_embeds", uncond, golden.get("uncond_embeds"), 1e-4);
            int steps = Integer.parseInt(meta.get("steps"));
            assertThat(sd.scheduler().timesteps(steps)).containsExactly(golden.get("timesteps").toLongArray());

            NDList trajectory = new NDList();
            NDArray latents = sd.sample(golden.get("initial_latents"), cond, uncond, steps,
                    Double.parseDouble(meta.get("guidance_scale")), null, UNetHooks.NONE,
                    (i, t, x) -> trajectory.add(x.duplicate()));
            Fixtures.assertClose("latents after step 1", trajectory.get(0), golden.get("latents_after_step1"), 1e-4);
            Fixtures.assertClose("latents of all steps", NDArrays.stack(trajectory), golden.get("latents_all_steps").expandDims(1), 1e-3);
            Fixtures.assertClose("final latents", latents, golden.get("final_latents"), 1e-3);
            Fixtures.assertClose("image", sd.decode(latents), golden.get("image"), 1e-3);
        }
    }

    @Test
    void inversionFollowsTheReference() {
        StableDiffusion sd = TinyPipeline.get();
        try (NDManager m = sd.manager().newSubManager()) {
            String file = "sd-tiny/golden/inversion.safetensors";
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            Map<String, String> meta = Safetensors.metadata(Fixtures.path(file));
            int count = Integer.parseInt(meta.get("steps"));
            assertThat(Double.parseDouble(meta.getOrDefault("guidance_scale", "1.0"))).as("inversion runs without guidance").isEqualTo(1.0);
            NDArray start = sd.encode(golden.get("image").div(2f).add(0.5f));
            Fixtures.assertClose("start latents", start, golden.get("start_latents"), 1e-4);
            assertThat(sd.scheduler().inverseTimesteps(count)).containsExactly(golden.get("timesteps").toLongArray());
            List<NDArray> steps = new ArrayList<>();
            NDArray inverted = sd.invert(golden.get("start_latents"), golden.get("cond_embeds"), count, UNetHooks.NONE,
                    (i, t, x) -> steps.add(x.duplicate()));
            Fixtures.assertClose("latents of all steps", NDArrays.stack(new NDList(steps)),
                    golden.get("latents_all_steps").expandDims(1), 1e-3);
            Fixtures.assertClose("final latents", inverted, golden.get("final_latents"), 1e-3);
        }
    }

    @Test
    void inpaintingFollowsTheReference() {
        StableDiffusion sd = TinyPipeline.get();
        try (StableDiffusion inpaint = StableDiffusion.load(Fixtures.path("sd-tiny"), Fixtures.path("sd-tiny-inpaint/unet"),
                Fixtures.device(), DataType.FLOAT32); NDManager m = inpaint.manager().newSubManager()) {
            assertThat(inpaint.inpainting()).isTrue();
            String file = "sd-tiny-inpaint/golden/inpaint.safetensors";
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            Map<String, String> meta = Safetensors.metadata(Fixtures.path(file));
            NDArray image01 = golden.get("image").div(2f).add(0.5f);
            NDArray extra = inpaint.inpaintChannels(image01, golden.get("mask"));
            Fixtures.assertClose("mask at latent resolution", extra.get(":, 0:1"), golden.get("mask_latent_res"), 0);
            Fixtures.assertClose("masked image latents", extra.get(":, 1:"), golden.get("masked_image_latents"), 1e-4);
            NDArray latents = inpaint.sample(golden.get("initial_latents"), golden.get("cond_embeds"),
                    golden.get("uncond_embeds"), Integer.parseInt(meta.get("steps")), Double.parseDouble(meta.get("guidance_scale")),
                    extra, UNetHooks.NONE, StableDiffusion.StepListener.NONE);
            Fixtures.assertClose("final latents", latents, golden.get("final_latents"), 1e-3);
            Fixtures.assertClose("decoded image", inpaint.decode(latents), golden.get("decoded_image"), 1e-3);
        }
    }
}
