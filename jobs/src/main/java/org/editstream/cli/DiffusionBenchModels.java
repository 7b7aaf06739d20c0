package org.editstream.cli;

import org.editstream.diffusion.UNetConfig;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** The models the diffusion benchmarks time: the tiny pipeline, and an SD-1.5-size UNet built from its config. */
public class DiffusionBenchModels {
    @Option(names = "--tiny", defaultValue = "../shared/fixtures/sd-tiny", description = "Tiny pipeline folder (default: ${DEFAULT-VALUE}).")
    Path tiny;

    @Option(names = "--sd15-config", defaultValue = "../shared/fixtures/manifests/sd15-unet.json",
            description = "SD 1.5 UNet config: a config.json, or a manifest with a \"config\" member (default: ${DEFAULT-VALUE}).")
    Path sd15Config;

    @Option(names = "--skip-sd15", description = "Leave out the SD-1.5-size UNet (needs about 4 GB of memory).")
    boolean skipSd15;

    UNetConfig sd15() throws IOException {
        return BenchSupport.config(sd15Config, UNetConfig.class, "--sd15-config");
    }
}
