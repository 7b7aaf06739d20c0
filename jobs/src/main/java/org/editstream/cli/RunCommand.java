package org.editstream.cli;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.job.EditStreamJob;
import org.editstream.job.FlinkSettings;
import org.editstream.job.JobConfig;
import org.editstream.job.KafkaTopics;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskCatalogue;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

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
        out.flush();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(FlinkSettings.of(config));
        EditStreamJob.build(env, config, enabled);
        env.execute("editstream");
        return 0;
    }
}
