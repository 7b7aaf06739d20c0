package org.editstream.diffusion;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Fixtures;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The spec's invariants on a UNet unlike the fixture's (three blocks, linear projections, per-block heads) and
 * a non-square image: the source branch is exactly plain sampling of the source prompt, and after blending the
 * target equals the source wherever the mask is 0.
 */
class AttentionControlPropertiesTest {
    private static final String UNET = """
            {"_class_name": "UNet2DConditionModel", "in_channels": 4, "out_channels": 4, "block_out_channels": [16, 32, 32],
             "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
             "layers_per_block": 1, "attention_head_dim": [2, 4, 4], "use_linear_projection": true,
             "cross_attention_dim": %d, "norm_num_groups": 8}
            """;

    @Test
    void sourceIsPlainSamplingAndTheTargetKeepsTheSourceOutsideTheMask(@TempDir Path dir) throws IOException {
        Path pipeline = pipelineWithRandomUNet(dir);
        try (StableDiffusion sd = StableDiffusion.load(pipeline, Device.cpu(), DataType.FLOAT32);
             NDManager m = sd.manager().newSubManager()) {
            String source = "a photo of a red dog on the grass";
            String target = "a photo of a red dog wearing a hat on the grass";
            int steps = 6;
            NDArray z = Noise.gaussian(m, new Shape(1, 4, 24, 16), 11);
            float[] mask = new float[48 * 32];
            for (int y = 8; y < 30; y++) {
                for (int x = 4; x < 20; x++) {
                    mask[y * 32 + x] = 1f;
                }
            }
            NDArray latentMask = PromptToPrompt.latentMask(m, mask, 48, 32, 24, 16);
            PromptToPrompt control = new PromptToPrompt(new PromptToPrompt.Settings(PromptToPrompt.Mode.REFINE,
                    0.6, 0.5, 0.2, steps, 1024),
                    TokenAlignment.refine(sd.tokenizer().encode(source), sd.tokenizer().encode(target), sd.tokenizer().endId()),
                    null, latentMask);
            NDArray cond = sd.embed(m, List.of(source, target));
            NDArray uncond = sd.embed(m, List.of("", ""));
            NDArray pair = sd.sample(z.concat(z, 0), cond, uncond, steps, 7.5, null, control, StableDiffusion.StepListener.NONE);

            NDArray plain = sd.sample(z, cond.get("0:1"), uncond.get("0:1"), steps, 7.5, null, UNetHooks.NONE,
                    StableDiffusion.StepListener.NONE);
            Fixtures.assertClose("source branch vs plain sampling", pair.get("0:1"), plain, 1e-5);
            assertThat(control.editsApplied()).isPositive();

            NDArray outside = latentMask.eq(0f).toType(DataType.FLOAT32, false);
            double leak = pair.get("1:2").sub(pair.get("0:1")).abs().mul(outside).max().getFloat();
            assertThat(leak).as("target minus source outside the mask").isEqualTo(0.0);
            double inside = pair.get("1:2").sub(pair.get("0:1")).abs().mul(latentMask).max().getFloat();
            assertThat(inside).as("the edit changes the masked region").isGreaterThan(1e-4);
        }
    }

    /** sd-tiny's text encoder, tokenizer, VAE and scheduler with a random three-block UNet. */
    private static Path pipelineWithRandomUNet(Path dir) throws IOException {
        Path tiny = Fixtures.path("sd-tiny");
        for (String part : List.of("text_encoder", "tokenizer", "vae", "scheduler")) {
            Path to = Files.createDirectories(dir.resolve(part));
            try (Stream<Path> files = Files.list(tiny.resolve(part))) {
                for (Path f : files.toList()) {
                    Files.copy(f, to.resolve(f.getFileName()));
                }
            }
        }
        Files.copy(tiny.resolve("model_index.json"), dir.resolve("model_index.json"));
        Path unet = Files.createDirectories(dir.resolve("unet"));
        // the UNet attends to the fixture's text encoder, whatever its width
        int textWidth = new com.fasterxml.jackson.databind.ObjectMapper().readTree(tiny.resolve("text_encoder").resolve("config.json")
                .toFile()).path("hidden_size").asInt();
        Files.writeString(unet.resolve("config.json"), UNET.formatted(textWidth));
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            WeightSet random = WeightSet.random(m, DataType.FLOAT32);
            new UNet(random.root(), org.editstream.models.ModelFolder.config(unet, UNetConfig.class));
            NDList tensors = new NDList();
            random.requested().forEach((name, shape) -> {
                NDArray a = m.randomNormal(0f, 0.05f, shape, DataType.FLOAT32);
                a.setName(name);
                tensors.add(a);
            });
            try (OutputStream out = Files.newOutputStream(unet.resolve("diffusion_pytorch_model.safetensors"))) {
                tensors.encode(out, NDList.Encoding.SAFETENSORS);
            }
        }
        return dir;
    }
}
