package org.editstream.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.job.EditStreamJob;
import org.editstream.job.FlinkSettings;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.editstream.job.Recovery;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskCatalogue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the job against an external Kafka: submitted with 'flink run' it runs on that cluster;",
                "started with java -jar it runs in-process on a local MiniCluster."})
public class RunCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    JobOptions job;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,host:port].")
    String bootstrapServers;

    @Option(names = "--bounded", description = "Stop at the captions topic's end offsets as of start-up (a finite backfill).")
    boolean bounded;

    @Option(names = "--create-topics", description = "Create missing topics with this many partitions (replication 1 unless --replication).")
    Integer createTopics;

    @Option(names = "--replication", defaultValue = "1", description = "Replication factor for --create-topics (default: ${DEFAULT-VALUE}).")
    short replication;

    @Option(names = "--savepoint-dir", description = "On Ctrl-C or SIGTERM, stop the job with a savepoint in this folder "
            + "(Flink's stop-with-savepoint; resume with --from-savepoint) and print its path.")
    String savepointDir;

    /** The job configuration these options describe. */
    JobConfig config() {
        return job.toBuilder(bootstrapServers).bounded(bounded).build();
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        JobConfig config = config();
        if (createTopics != null) {
            KafkaTopics.ensure(config, createTopics, replication);
        }
        EnabledTasks enabled = EditStreamJob.enabledTasks(config);
        EditStreamJob.startupLines(config, enabled).forEach(out::println);
        Configuration flink = FlinkSettings.of(config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        if (env instanceof LocalStreamEnvironment) {
            Recovery recovery = Recovery.decide(config, job.fromCheckpoint, job.fromSavepoint);
            out.println(recovery.line());
            recovery.applyTo(flink, config);
            env = StreamExecutionEnvironment.getExecutionEnvironment(flink);
        } else if (job.fromCheckpoint != null || job.fromSavepoint != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "on a cluster the starting point is the "
                    + "cluster's: flink run -s PATH, or Kubernetes HA with upgradeMode last-state (see deploy/)");
        } else {
            out.println("Submitted to a cluster: it resumes from its HA checkpoint store, or from flink run -s PATH");
        }
        out.flush();
        EditStreamJob.build(env, config, enabled);
        JobClient client = env.executeAsync("editstream");
        out.println("Job " + client.getJobID() + " running");
        out.flush();
        if (!(env instanceof LocalStreamEnvironment) && !env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
            // flink run -d, or a JobManager running the uploaded jar over REST: the cluster owns the job from here
            return 0;
        }
        Thread stopper = savepointDir == null ? null : stopWithSavepointOnShutdown(client, out);
        try {
            client.getJobExecutionResult().get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (stopper == null || !stopping) {
                throw e;
            }
        }
        return 0;
    }

    private volatile boolean stopping;

    /** On Ctrl-C or SIGTERM: Flink's stop-with-savepoint, then the savepoint's path on the output. */
    private Thread stopWithSavepointOnShutdown(JobClient client, PrintWriter out) {
        Thread hook = new Thread(() -> {
            stopping = true;
            try {
                String path = client.stopWithSavepoint(false, savepointDir, SavepointFormatType.CANONICAL).get(10, TimeUnit.MINUTES);
                out.println("Stopped with savepoint " + path + " (resume with --from-savepoint " + path + ")");
            } catch (Exception e) {
                out.println("The job did not stop with a savepoint: " + e.getMessage()
                        + "; its latest checkpoint under --checkpoint-dir still resumes it");
            }
            out.flush();
        }, "editstream-stop-with-savepoint");
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }
}
