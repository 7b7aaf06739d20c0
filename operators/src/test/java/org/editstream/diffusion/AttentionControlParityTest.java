package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.editstream.models.Fixtures;
import org.editstream.models.Safetensors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every attention-control golden: token mapping, mask at latent resolution, every step of both branches. */
class AttentionControlParityTest {
    private static final String FOLDER = "sd-tiny/golden/attention-control";

    static List<String> cases() {
        return Fixtures.cases(FOLDER);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void followsTheReference(String name) {
        StableDiffusion sd = TinyPipeline.get();
        String file = FOLDER + "/" + name + ".safetensors";
        Map<String, String> meta = Safetensors.metadata(Fixtures.path(file));
        try (NDManager m = sd.manager().newSubManager()) {
            Map<String, NDArray> golden = Fixtures.golden(m, file);
            long[] src = sd.tokenizer().encode(meta.get("source_prompt"));
            long[] tgt = sd.tokenizer().encode(meta.get("target_prompt"));
            assertThat(src).containsExactly(golden.get("src_ids").toLongArray());
            assertThat(tgt).containsExactly(golden.get("tgt_ids").toLongArray());
            TokenAlignment.Refine alignment = TokenAlignment.refine(src, tgt, sd.tokenizer().endId());
            assertThat(alignment.mapper()).containsExactly(java.util.Arrays.stream(golden.get("mapper").toLongArray())
                    .mapToInt(l -> (int) l).toArray());
            assertThat(alignment.alphas()).containsExactly(golden.get("alphas").toFloatArray());

            NDArray mask = golden.get("mask");
            NDArray z = golden.get("initial_latents");
            NDArray latentMask = PromptToPrompt.latentMask(m, mask.toFloatArray(), (int) mask.getShape().get(2),
                    (int) mask.getShape().get(3), (int) z.getShape().get(2), (int) z.getShape().get(3));
            Fixtures.assertClose("mask at latent resolution", latentMask, golden.get("mask_latent"), 1e-6);

            PromptToPrompt.Mode mode = PromptToPrompt.Mode.valueOf(meta.get("mode"));
            int steps = Integer.parseInt(meta.get("steps"));
            PromptToPrompt control = new PromptToPrompt(new PromptToPrompt.Settings(mode,
                    Double.parseDouble(meta.get("Nc")), Double.parseDouble(meta.get("Ns")), Double.parseDouble(meta.get("b")),
                    steps, Long.parseLong(meta.get("self_max_tokens"))),
                    mode == PromptToPrompt.Mode.REFINE ? alignment : null,
                    mode == PromptToPrompt.Mode.REPLACE ? TokenAlignment.replace(meta.get("source_prompt"),
                            meta.get("target_prompt"), sd.tokenizer()) : null, latentMask);

            NDArray cond = sd.embed(m, List.of(meta.get("source_prompt"), meta.get("target_prompt")));
            NDArray uncond = sd.embed(m, List.of("", ""));
            Fixtures.assertClose("target embeds", cond.get("1:2"), golden.get("tgt_embeds"), 1e-4);
            NDList trajectory = new NDList();
            NDArray latents = sd.sample(z.concat(z, 0), cond, uncond, steps, Double.parseDouble(meta.get("guidance_scale")),
                    null, control, (i, t, x) -> trajectory.add(x.duplicate()));

            Fixtures.assertClose(name + ": latents of all steps", NDArrays.stack(trajectory),
                    golden.get("latents_all_steps"), 1e-3);
            Fixtures.assertClose(name + ": final latents", latents, golden.get("final_latents"), 1e-3);
            Fixtures.assertClose(name + ": images", sd.decode(latents), golden.get("images"), 1e-3);
            assertThat(control.editsApplied()).isEqualTo(Integer.parseInt(meta.get("attention_edits_applied")));
        }
    }
}
