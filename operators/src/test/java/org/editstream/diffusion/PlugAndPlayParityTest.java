package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PlugAndPlayParityTest {
    private static final String FOLDER = "sd-tiny/golden/plug-and-play";

    static List<String> cases() {
        return Fixtures.cases(FOLDER);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void followsTheReference(String name) {
        String file = FOLDER + "/" + name + ".safetensors";
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(file));
        StableDiffusion sd = TinyPipeline.get();
        try (NDManager m = sd.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            NDArray start = sd.encode(golden.get("image").div(2f).add(0.5f));
            Fixtures.assertClose("start latents", start, golden.get("start_latents"), 1e-4);
            NDArray empty = sd.embed(m, List.of(meta.get("inversion_prompt")));
            NDArray negative = sd.embed(m, List.of(meta.get("negative_prompt")));
            NDArray target = sd.embed(m, List.of(meta.get("target_prompt")));
            Fixtures.assertClose("target embeds", target, golden.get("target_embeds"), 1e-4);

            PlugAndPlay.Settings settings = new PlugAndPlay.Settings(Integer.parseInt(meta.get("steps")),
                    Double.parseDouble(meta.get("guidance_scale")), Double.parseDouble(meta.get("attention_fraction")),
                    Double.parseDouble(meta.get("feature_fraction")));
            NDList trajectory = new NDList();
            PlugAndPlay.Result result = PlugAndPlay.run(sd, golden.get("start_latents"), empty, negative, target, settings,
                    (i, t, x) -> trajectory.add(x.duplicate()));
            assertThat(result.levels()).containsExactly(golden.get("inversion_levels").toLongArray());
            assertThat(result.timesteps()).containsExactly(golden.get("sampling_timesteps").toLongArray());
            Fixtures.assertClose("inverted latents", NDArrays.stack(new NDList(result.inverted())),
                    golden.get("inversion_latents").expandDims(1), 1e-3);

            // The sampling half from the reference's own inverted latents: the injection semantics, at the
            // trajectory tolerance.
            List<NDArray> referenceInversion = new ArrayList<>();
            for (int k = 0; k < result.levels().length; k++) {
                referenceInversion.add(golden.get("inversion_latents").get(k).expandDims(0));
            }
            NDList sampled = new NDList();
            NDArray latents = PlugAndPlay.sample(sd, result.levels(), referenceInversion, empty, negative, target,
                    settings, (i, t, x) -> sampled.add(x.duplicate())).latents();
            Fixtures.assertClose("latents of all steps", NDArrays.stack(sampled), golden.get("latents_all_steps").expandDims(1), 1e-3);
            Fixtures.assertClose("final latents", latents, golden.get("final_latents"), 1e-3);
            Fixtures.assertClose("decoded image", sd.decode(latents), golden.get("decoded_image"), 1e-3);

            // End to end from our own inversion: its float32 rounding (within 1e-4 of the reference's after
            // ten unstable inverse steps) is amplified by guided sampling that re-reads the inverted latents at
            // every step; measured 5e-3 to 8e-3 here, so the whole chain is held to 1e-2.
            Fixtures.assertClose("end-to-end final latents", result.latents(), golden.get("final_latents"), 1e-2);
        }
    }

    @org.junit.jupiter.api.Test
    void sitesFollowTheConfigAsTheSpecSaysForSd15() {
        UNetConfig sd15 = org.editstream.models.Manifests.config(org.editstream.models.Manifests.read("sd15-unet.json"), UNetConfig.class);
        PlugAndPlay.Injection injection = new PlugAndPlay.Injection(sd15, new PlugAndPlay.Settings(10, 7.5, 1.0, 0.8));
        injection.beginStep(0, 901);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray rows = m.create(new float[] {1, 2, 3}).reshape(3, 1, 1);
            // decoder transformer blocks 4-11 of SD 1.5: up_blocks.1 from its second attention on, then 2 and 3
            List<String> injected = new ArrayList<>();
            for (int block = 0; block < 4; block++) {
                for (int attention = 0; attention < 3; attention++) {
                    AttentionSite site = new AttentionSite("up_blocks." + block + ".attentions." + attention,
                            AttentionSite.Place.UP, block, attention, false, 64);
                    if (injection.queriesAndKeys(site, rows, rows)[0].toFloatArray()[2] == 1f) {
                        injected.add(site.name());
                    }
                }
            }
            assertThat(injected).containsExactly("up_blocks.1.attentions.1", "up_blocks.1.attentions.2",
                    "up_blocks.2.attentions.0", "up_blocks.2.attentions.1", "up_blocks.2.attentions.2",
                    "up_blocks.3.attentions.0", "up_blocks.3.attentions.1", "up_blocks.3.attentions.2");
            assertThat(injection.resnetResidual("up_blocks.1.resnets.1", rows).toFloatArray()).containsExactly(1f, 1f, 1f);
            assertThat(injection.resnetResidual("up_blocks.0.resnets.1", rows).toFloatArray()).containsExactly(1f, 2f, 3f);
            AttentionSite cross = new AttentionSite("up_blocks.2.attentions.0", AttentionSite.Place.UP, 2, 0, true, 64);
            assertThat(injection.queriesAndKeys(cross, rows, rows)[0].toFloatArray()).containsExactly(1f, 2f, 3f);
        }
    }
}
