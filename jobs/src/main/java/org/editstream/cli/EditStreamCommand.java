package org.editstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code editstream} command line. */
@Command(name = "editstream", mixinStandardHelpOptions = true, version = "editstream " + org.editstream.job.JobConfig.VERSION,
        description = "Streams image captions into instruction-based image editing samples on Apache Flink.",
        subcommands = {LocalCommand.class, RunCommand.class, ClusterCommand.class, ProduceCommand.class, ExportCommand.class, Txt2ImgCommand.class, GroundCommand.class, BenchCommand.class,
                CommandLine.HelpCommand.class})
public class EditStreamCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        if (launchedByFlink()) {
            // flink run, or a JobManager running an uploaded jar (REST /jars/:id/run): the JVM and its logging are
            // Flink's, and an exit would take the JobManager down with it
            int code = commandLine().execute(args);
            if (code != 0) {
                throw new IllegalStateException("editstream " + String.join(" ", args) + " failed with exit code " + code
                        + " (its message is above)");
            }
            return;
        }
        // our console logging, not the configuration files some dependencies ship (Kafka's log4j2.yaml)
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:editstream-log4j2.xml");
        }
        System.exit(commandLine().execute(args));
    }

    /** Whether Flink's client called this main: its {@code PackagedProgram} is on the stack. */
    static boolean launchedByFlink() {
        return StackWalker.getInstance().walk(frames -> frames.anyMatch(
                f -> f.getClassName().equals("org.apache.flink.client.program.PackagedProgram")));
    }

    /** The configured command line (also what tests run). */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new EditStreamCommand());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("editstream " + commandLine.getCommandName() + ": " + messageOf(e));
            return 2;
        });
        return cli;
    }

    /** The message, and the deepest cause's when there is one: Flink's "Job execution failed." alone says nothing. */
    static String messageOf(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.util.concurrent.ExecutionException)) {
            t = t.getCause();
        }
        String top = t.getMessage() != null ? t.getMessage() : t.toString();
        Throwable root = t;
        for (Throwable c = t.getCause(); c != null && c != root; c = c.getCause()) {
            if (c.getMessage() != null) {
                root = c;
            }
        }
        return root == t || top.contains(root.getMessage()) ? top : top + " Cause: " + root.getMessage();
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
