package org.editstream.cli;

import ai.djl.Device;
import org.editstream.models.Devices;
import picocli.CommandLine.Option;

/** The {@code --device} flag of the commands that run models. */
public class DeviceOption {
    @Option(names = "--device", defaultValue = "auto", description = "auto (a GPU when DJL finds one), cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    Device device() {
        return Devices.named(device);
    }
}
