package org.editstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The GPU kit's entry point: the engine's benchmarks without the job (no Flink, Kafka or bundled libtorch on the
 * class path), run by the kit's script on whatever libtorch the machine has.
 */
@Command(name = "editstream-engine", mixinStandardHelpOptions = true,
        description = "The diffusion engine's benchmarks, as the GPU kit runs them.",
        subcommands = {BenchEngineCommand.class, BenchDiffusionCommand.class, BenchPairCommand.class, CommandLine.HelpCommand.class})
public final class EngineKit implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new EngineKit()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
