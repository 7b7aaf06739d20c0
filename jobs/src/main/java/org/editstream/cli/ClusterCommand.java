package org.editstream.cli;

import org.apache.flink.api.common.JobID;
import org.editstream.cluster.JobSubmission;
import org.editstream.cluster.LocalCluster;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = {"A Flink session cluster on this machine (a JobManager and TaskManagers, each its own process),",
                "and the job submitted to a cluster over its REST API."},
        subcommands = {ClusterCommand.Start.class, ClusterCommand.Submit.class, ClusterCommand.Stop.class})
public class ClusterCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The {@code --jobmanager} option of the commands that talk to a cluster. */
    static class JobManagerAddress {
        @Option(names = "--jobmanager", defaultValue = "http://localhost:8081",
                description = "The JobManager's REST address (default: ${DEFAULT-VALUE}).")
        URI jobManager;
    }

    /** The jar this command line runs from, when it runs from one. */
    static Path ownJar() {
        try {
            Path p = Path.of(EditStreamCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p : null;
        } catch (Exception e) {
            return null;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Starts a JobManager and TaskManagers as separate JVMs on the Flink lib/ Maven resolves",
                    "(cluster/target/lib), prints the dashboard's address and runs until Ctrl-C, which stops them."})
    public static class Start implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--dir", defaultValue = "editstream-cluster",
                description = "The cluster's folder: conf/, log/, uploads (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--lib", description = "Flink's lib/ folder (default: cluster/target/lib of this checkout).")
        Path lib;

        @Option(names = "--taskmanagers", defaultValue = "2", description = "TaskManagers to start (default: ${DEFAULT-VALUE}).")
        int taskManagers;

        @Option(names = "--slots", defaultValue = "2", description = "Task slots per TaskManager (default: ${DEFAULT-VALUE}).")
        int slots;

        @Option(names = "--rest-port", defaultValue = "8081", description = "Dashboard and REST port (default: ${DEFAULT-VALUE}).")
        int restPort;

        @Option(names = "--taskmanager-memory", defaultValue = "3g",
                description = "taskmanager.memory.process.size of each TaskManager (default: ${DEFAULT-VALUE}).")
        String taskManagerMemory;

        @Option(names = "--set", description = "Another Flink setting, KEY=VALUE (repeatable).")
        Map<String, String> settings = Map.of();

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path folder = lib != null ? lib : defaultLib();
            LocalCluster cluster = LocalCluster.start(new LocalCluster.Settings(dir, folder, restPort, slots,
                    taskManagerMemory, settings), taskManagers);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                out.println("Stopping the cluster");
                out.flush();
                cluster.close();
                stopped.countDown();
            }, "editstream-cluster-stop"));
            out.println("Flink dashboard: " + cluster.restAddress());
            out.println("JobManager and " + taskManagers + " TaskManagers (" + slots + " slots each) running; logs in "
                    + cluster.logs().toAbsolutePath());
            out.println("Submit the job: java -jar jobs/target/editstream.jar cluster submit --jobmanager "
                    + cluster.restAddress() + " -- run --bootstrap-servers HOST:PORT ...");
            out.println("Ctrl-C stops the cluster");
            out.flush();
            stopped.await();
            return 0;
        }

        /** cluster/target/lib of the checkout this runs in: from the working folder, or beside jobs/target's jar. */
        static Path defaultLib() {
            List<Path> candidates = new ArrayList<>(List.of(Path.of("cluster", "target", "lib")));
            Path jar = ownJar();
            if (jar != null && jar.getParent() != null && jar.getParent().getParent() != null
                    && jar.getParent().getParent().getParent() != null) {
                candidates.add(jar.getParent().getParent().getParent().resolve(Path.of("cluster", "target", "lib")));
            }
            return candidates.stream().filter(Files::isDirectory).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "no Flink lib/ folder at " + candidates + ": run mvn -DskipTests package first, or give --lib"));
        }
    }

    @Command(name = "submit", mixinStandardHelpOptions = true,
            description = {"Uploads the job's jar to a JobManager over REST and runs its command line there, as the",
                    "dashboard's Submit New Job does: cluster submit -- run --bootstrap-servers HOST:PORT ..."})
    public static class Submit implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        JobManagerAddress address;

        @Option(names = "--jar", description = "The job's jar (default: the jar this runs from).")
        Path jar;

        @Option(names = "--from-savepoint", description = "Start from this savepoint (a resume, an upgrade, a rescale).")
        String savepoint;

        @Parameters(arity = "1..*", paramLabel = "ARGS", description = "The job's command line, after --: run --bootstrap-servers ...")
        List<String> arguments;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            Path file = jar != null ? jar : ownJar();
            if (file == null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "not running from a jar: give --jar");
            }
            try (JobSubmission submission = new JobSubmission(address.jobManager)) {
                out.println("Uploading " + file + " (" + Files.size(file) / (1 << 20) + " MiB) to " + address.jobManager);
                out.flush();
                String id = submission.upload(file);
                JobID job = submission.run(id, arguments, savepoint);
                out.println("Job " + job + " running on " + address.jobManager + (savepoint == null ? "" : ", from savepoint " + savepoint));
            }
            return 0;
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true,
            description = "Stops a job on a cluster with a savepoint and prints its path (resume with submit --from-savepoint).")
    public static class Stop implements Callable<Integer> {
        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        JobManagerAddress address;

        @Option(names = "--savepoint-dir", required = true, description = "Folder URI every cluster process can write (file:///..., s3://...).")
        String savepointDir;

        @Parameters(index = "0", paramLabel = "JOB_ID", description = "The job's id (the dashboard and submit print it).")
        String job;

        @Override
        public Integer call() throws Exception {
            try (JobSubmission submission = new JobSubmission(address.jobManager)) {
                String path = submission.stopWithSavepoint(JobID.fromHexString(job), savepointDir);
                spec.commandLine().getOut().println("Stopped with savepoint " + path);
            }
            return 0;
        }
    }
}
