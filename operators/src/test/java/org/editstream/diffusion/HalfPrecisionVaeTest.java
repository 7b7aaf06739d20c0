package org.editstream.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class HalfPrecisionVaeTest {
    @Test
    void theVaeComputesInFloat32UnderFloat16WhereItsConfigAsksForTheUpcast() {
        VaeConfig config = ModelFolder.config(Fixtures.path("sd-tiny/vae"), VaeConfig.class);
        assertThat(config.forceUpcast()).isTrue();
        assertThat(config.computeType(DataType.FLOAT16)).isEqualTo(DataType.FLOAT32);
        assertThat(config.computeType(DataType.BFLOAT16)).as("bfloat16 has float32's range").isEqualTo(DataType.BFLOAT16);
        assertThat(config.computeType(DataType.FLOAT32)).isEqualTo(DataType.FLOAT32);
        VaeConfig noUpcast = new VaeConfig(null, null, null, null, null, null, null, null, null, null, null, false);
        assertThat(noUpcast.computeType(DataType.FLOAT16)).isEqualTo(DataType.FLOAT16);

        try (StableDiffusion half = StableDiffusion.load(Fixtures.path("sd-tiny"), Fixtures.device(), DataType.FLOAT16);
             StableDiffusion full = StableDiffusion.load(Fixtures.path("sd-tiny"), Fixtures.device(), DataType.FLOAT32);
             NDManager m = half.manager().newSubManager()) {
            NDArray latents = m.randomNormal(new Shape(1, half.vae().config().latentChannels(), 8, 8)).toType(DataType.FLOAT16, false);
            NDArray image = half.decode(latents);
            assertThat(image.getDataType()).isEqualTo(DataType.FLOAT32);
            NDArray reference = full.decode(latents.toType(DataType.FLOAT32, false).toDevice(full.manager().getDevice(), true));
            assertThat(Fixtures.maxAbsDiff(image, reference)).as("the float32 VAE's decoding, the same weights").isZero();

            NDArray encoded = half.encode(image);
            assertThat(encoded.getDataType()).as("latents in the pipeline's precision").isEqualTo(DataType.FLOAT16);
            assertThat(Fixtures.maxAbsDiff(encoded.toType(DataType.FLOAT32, false), full.encode(reference).toType(DataType.FLOAT32, false)
                    .toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false))).isZero();
            assertThat(half.embed(m, List.of("a red dog")).getDataType()).isEqualTo(DataType.FLOAT16);
        }
    }
}
