package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.editstream.models.WeightSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configurations unlike the fixtures (three blocks, other widths and groups, per-block heads and transformer
 * depths, linear projections, 9 input channels, odd non-square sizes) build and run with random weights; a
 * batch gives what its items give alone.
 */
class OtherConfigurationsTest {
    private static final String UNET = """
            {"in_channels": 9, "out_channels": 4, "block_out_channels": [16, 32, 48],
             "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
             "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
             "layers_per_block": 1, "attention_head_dim": [2, 4, 4], "transformer_layers_per_block": [1, 2, 1],
             "use_linear_projection": true, "cross_attention_dim": 24, "norm_num_groups": 8, "norm_eps": 1e-5,
             "flip_sin_to_cos": false, "freq_shift": 1}
            """;
    private static final String VAE = """
            {"in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [8, 16, 16],
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
             "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"],
             "layers_per_block": 2, "norm_num_groups": 4, "scaling_factor": 0.13025}
            """;

    @Test
    void aThreeBlockInpaintingUNetRunsOnOddNonSquareLatents(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), UNET);
        UNetConfig config = ModelFolder.config(dir, UNetConfig.class);
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(7);
            UNet unet = new UNet(WeightSet.random(manager, DataType.FLOAT32).root(), config);
            NDArray sample = manager.randomNormal(new Shape(2, 9, 18, 10));
            NDArray context = manager.randomNormal(new Shape(2, 7, 24));
            NDArray t = manager.create(new float[] {10f, 900f});

            NDArray batch = unet.forward(sample, t, context, UNetHooks.NONE);
            assertThat(batch.getShape()).isEqualTo(new Shape(2, 4, 18, 10));
            for (int i = 0; i < 2; i++) {
                String row = i + ":" + (i + 1);
                NDArray alone = unet.forward(sample.get(row), t.get(row), context.get(row), UNetHooks.NONE);
                Fixtures.assertClose("item " + i, batch.get(row), alone, 1e-5);
            }
        }
    }

    @Test
    void aThreeBlockVaeRoundTripsNonSquareImages(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), VAE);
        try (NDManager manager = NDManager.newBaseManager()) {
            Vae vae = new Vae(WeightSet.random(manager, DataType.FLOAT32).root(), ModelFolder.config(dir, VaeConfig.class));
            NDArray image = manager.randomUniform(-1f, 1f, new Shape(1, 3, 40, 24));
            NDArray[] latent = vae.encode(image);
            assertThat(latent[0].getShape()).isEqualTo(new Shape(1, 4, 10, 6));
            assertThat(latent[1].min().getFloat()).isPositive();
            assertThat(vae.decode(latent[0]).getShape()).isEqualTo(new Shape(1, 3, 40, 24));
        }
    }
}
