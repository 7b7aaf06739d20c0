package org.editstream.cluster;

import org.editstream.local.Ports;
import org.apache.flink.runtime.rest.handler.legacy.messages.ClusterOverviewWithVersion;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Flink session cluster on this machine: a JobManager and TaskManagers, each its own OS process, started as
 * Flink's {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh} start them. The entry-point classes run on the
 * classpath of a Flink {@code lib/} folder ({@code cluster/target/lib}, which Maven resolves: Flink's runtime, web
 * submission, RocksDB, the Prometheus reporter, Log4j, DJL with libtorch), with the JVM memory flags Flink's
 * {@code BashJavaUtils} derives from the configuration. Configuration, logs and uploads live under one folder.
 */
public final class LocalCluster implements AutoCloseable {
    /** The JVM options Flink's distribution starts every process with on Java 17 ({@code env.java.default-opts.all}). */
    static final List<String> JAVA_17_OPTIONS = List.of(
            "--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
            "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.text=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
    /**
     * The packages a cluster loads from its lib/ before the job's jar ({@code classloader.parent-first-patterns.additional}):
     * the libraries that load a native library from a fixed path, which one classloader per JVM can do. Each
     * submission of the job gets a new classloader (a resume, a rescale), and a second load fails. deploy/'s
     * FlinkDeployment sets the same.
     */
    public static final String PARENT_FIRST = "ai.djl.;ai.onnxruntime.;org.bytedeco.";
    private static final String JOB_MANAGER = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String MEMORY_FLAGS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final Duration START_TIMEOUT = Duration.ofMinutes(2);

    /**
     * What to start.
     *
     * @param home           the cluster's folder: conf/, log/, uploads, temporary files
     * @param lib            the Flink lib/ folder whose jars are the processes' classpath
     * @param restPort       the JobManager's REST and dashboard port (0: a free one)
     * @param slots          task slots per TaskManager
     * @param taskManagerMemory Flink's {@code taskmanager.memory.process.size}
     * @param configuration  more Flink settings, over the defaults below
     */
    public record Settings(Path home, Path lib, int restPort, int slots, String taskManagerMemory,
                           Map<String, String> configuration) {
        public Settings {
            configuration = Map.copyOf(configuration);
        }
    }

    /** One TaskManager process: its resource id, its Prometheus port and its Flink log. */
    public record TaskManager(String id, Process process, int metricsPort, Path log) {
        /** SIGKILL: no shutdown hook, no goodbye to the JobManager, as when a machine is lost. */
        public void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }

        public URI metrics() {
            return URI.create("http://localhost:" + metricsPort + "/metrics");
        }
    }

    private final Settings settings;
    private final Path conf;
    private final Path logs;
    private final int restPort;
    private final int rpcPort = freePort();
    private final Process jobManager;
    private final List<TaskManager> taskManagers = new ArrayList<>();
    private int started;

    private LocalCluster(Settings settings, int restPort) throws IOException {
        this.settings = settings;
        this.restPort = restPort;
        this.conf = Files.createDirectories(settings.home().resolve("conf"));
        this.logs = Files.createDirectories(settings.home().resolve("log"));
        writeConfiguration();
        this.jobManager = launch("jobmanager", JOB_MANAGER, "GET_JM_RESOURCE_PARAMS", List.of());
    }

    /** Starts the JobManager and {@code taskManagers} TaskManagers, and returns once all have registered. */
    public static LocalCluster start(Settings settings, int taskManagers) throws Exception {
        if (!Files.isDirectory(settings.lib())) {
            throw new IllegalArgumentException("no Flink lib/ folder at " + settings.lib()
                    + ": build it with mvn package (cluster/target/lib), or give another");
        }
        LocalCluster cluster = new LocalCluster(settings, settings.restPort() == 0 ? freePort() : settings.restPort());
        try {
            for (int i = 0; i < taskManagers; i++) {
                cluster.startTaskManager();
            }
            cluster.awaitTaskManagers(taskManagers);
            return cluster;
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
    }

    /** Starts one more TaskManager (its resource id {@code tm-N}); it registers with the JobManager on its own. */
    public synchronized TaskManager startTaskManager() throws IOException {
        started++;
        String id = "tm-" + started;
        int metricsPort = freePort();
        Process process = launch("taskmanager-" + id, TASK_MANAGER, "GET_TM_RESOURCE_PARAMS", List.of(
                "taskmanager.resource-id=" + id, "metrics.reporter.prom.port=" + metricsPort));
        TaskManager tm = new TaskManager(id, process, metricsPort, logs.resolve("taskmanager-" + id + ".log"));
        taskManagers.add(tm);
        return tm;
    }

    /** Waits until this many TaskManagers are registered with the JobManager. */
    public void awaitTaskManagers(int count) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        String last = "no answer yet";
        try (JobSubmission rest = new JobSubmission(restAddress())) {
            while (System.nanoTime() < deadline) {
                if (!jobManager.isAlive()) {
                    throw new IllegalStateException("the JobManager exited with " + jobManager.exitValue() + "; see "
                            + logs.resolve("jobmanager.log") + " and jobmanager.out");
                }
                try {
                    ClusterOverviewWithVersion overview = rest.cluster().getClusterOverview().get(5, TimeUnit.SECONDS);
                    if (overview.getNumTaskManagersConnected() >= count) {
                        return;
                    }
                    last = overview.getNumTaskManagersConnected() + " TaskManager(s) registered";
                } catch (Exception e) {
                    last = e.getMessage();
                }
                Thread.sleep(500);
            }
        }
        throw new IllegalStateException("the cluster has not got " + count + " TaskManagers within " + START_TIMEOUT
                + " (" + last + "); logs in " + logs);
    }

    /** The dashboard and REST address. */
    public URI restAddress() {
        return URI.create("http://localhost:" + restPort);
    }

    public List<TaskManager> taskManagers() {
        return List.copyOf(taskManagers);
    }

    public Path logs() {
        return logs;
    }

    /** SIGTERM to every process (Flink's entry points shut down cleanly on it), SIGKILL after 30 seconds. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>();
        taskManagers.forEach(tm -> all.add(tm.process()));
        all.add(jobManager);
        all.forEach(Process::destroy);
        for (Process p : all) {
            try {
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The settings every process reads, under {@link Settings#configuration()}'s. */
    private Map<String, String> defaults() {
        Path home = settings.home().toAbsolutePath();
        Map<String, String> c = new LinkedHashMap<>();
        c.put("jobmanager.rpc.address", "localhost");
        c.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        c.put("jobmanager.bind-host", "localhost");
        c.put("taskmanager.bind-host", "localhost");
        c.put("taskmanager.host", "localhost");
        c.put("rest.address", "localhost");
        c.put("rest.bind-address", "localhost");
        c.put("rest.port", Integer.toString(restPort));
        // the job's jar carries its models' code and libtorch: bigger than REST's 100 MiB default
        c.put("rest.server.max-content-length", Integer.toString(1 << 30));
        c.put("rest.client.max-content-length", Integer.toString(1 << 30));
        c.put("web.upload.dir", home.resolve("uploads").toString());
        c.put("io.tmp.dirs", home.resolve("tmp").toString());
        c.put("jobmanager.memory.process.size", "1600m");
        c.put("taskmanager.memory.process.size", settings.taskManagerMemory());
        // RocksDB's managed memory: the job's state is small (caption ids, in-flight requests)
        c.put("taskmanager.memory.managed.size", "256m");
        // libtorch's own allocations are native memory outside Flink's budget; see the README's cluster section
        c.put("taskmanager.memory.task.off-heap.size", "256m");
        c.put("taskmanager.numberOfTaskSlots", Integer.toString(settings.slots()));
        // a job of parallelism below the slots uses every TaskManager, not the first one's slots
        c.put("taskmanager.load-balance.mode", "SLOTS");
        // the native libraries (libtorch, tokenizers, ONNX Runtime, OpenCV, Tesseract) from lib/: once per JVM
        c.put("classloader.parent-first-patterns.additional", PARENT_FIRST);
        c.put("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        // one machine: a lost TaskManager is noticed in seconds rather than Flink's 50
        c.put("heartbeat.interval", "2 s");
        c.put("heartbeat.timeout", "10 s");
        return c;
    }

    private void writeConfiguration() throws IOException {
        Map<String, String> c = defaults();
        c.putAll(settings.configuration());
        StringBuilder yaml = new StringBuilder("# written by editstream cluster start: a Flink session cluster on this machine\n");
        c.forEach((k, v) -> yaml.append(k).append(": '").append(v.replace("'", "''")).append("'\n"));
        Files.writeString(conf.resolve("config.yaml"), yaml);
        Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
                "# every process writes its own file: -Dlog.file",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.main.ref = Main",
                "appender.main.name = Main",
                "appender.main.type = File",
                "appender.main.fileName = ${sys:log.file}",
                "appender.main.layout.type = PatternLayout",
                "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                ""));
    }

    /** One Flink process with the memory flags and dynamic settings BashJavaUtils derives, as Flink's scripts do. */
    private Process launch(String name, String mainClass, String memoryCommand, List<String> properties) throws IOException {
        List<String> derived = memoryFlags(memoryCommand);
        List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(split(derived.get(0)));
        command.addAll(JAVA_17_OPTIONS);
        command.add("-XX:+UseG1GC");
        command.add("-Djava.awt.headless=true");
        command.add("-Dlog.file=" + logs.resolve(name + ".log").toAbsolutePath());
        command.add("-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri());
        command.add("-cp");
        command.add(settings.lib().toAbsolutePath() + File.separator + "*");
        command.add(mainClass);
        command.add("--configDir");
        command.add(conf.toAbsolutePath().toString());
        if (derived.size() > 1) {
            command.addAll(split(derived.get(1)));
        }
        for (String p : properties) {
            command.add("-D");
            command.add(p);
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(logs.resolve(name + ".out").toFile());
        // no model hub and no telemetry: models come from local folders. glibc keeps freed activation memory
        // for reuse instead of unmapping it after every tensor (deploy/'s TaskManagers set the same)
        builder.environment().putIfAbsent("DJL_OFFLINE", "true");
        builder.environment().putIfAbsent("OPT_OUT_TRACKING", "true");
        builder.environment().putIfAbsent("MALLOC_MMAP_THRESHOLD_", "67108864");
        builder.environment().putIfAbsent("MALLOC_TRIM_THRESHOLD_", "268435456");
        builder.environment().putIfAbsent("MALLOC_TOP_PAD_", "67108864");
        return builder.start();
    }

    /** BashJavaUtils' answer: the JVM flags, then the dynamic settings (the lines Flink's scripts read). */
    private List<String> memoryFlags(String command) throws IOException {
        Process p = new ProcessBuilder(java(), "-cp", settings.lib().toAbsolutePath() + File.separator + "*",
                "-Dlog4j.configurationFile=" + conf.resolve("log4j.properties").toUri(),
                "-Dlog.file=" + logs.resolve("bash-java-utils.log").toAbsolutePath(),
                MEMORY_FLAGS, command, "--configDir", conf.toAbsolutePath().toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(1, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("Flink's memory calculation failed for " + conf.resolve("config.yaml") + ":\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String prefix = "BASH_JAVA_UTILS_EXEC_RESULT:";
        List<String> lines = out.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).toList();
        if (lines.isEmpty()) {
            throw new IOException("Flink's memory calculation gave no result:\n" + out);
        }
        return lines;
    }

    private static List<String> split(String flags) {
        return List.of(flags.strip().split("\\s+")).stream().filter(s -> !s.isEmpty()).toList();
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() {
        return Ports.free("localhost");
    }
}
