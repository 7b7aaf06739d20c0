package org.editstream.cli;

import org.editstream.job.JobConfig;
import org.editstream.local.DemoCaptions;
import org.editstream.local.LocalStack;
import org.editstream.produce.CaptionFiles;
import org.editstream.schema.CaptionEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Runs everything in this JVM: a Kafka broker (KRaft), a Flink MiniCluster with its dashboard, the job,",
                "and a producer of the bundled demo captions (or --captions FILE); writes a gallery and a summary."})
public class LocalCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    JobOptions job;

    @Option(names = "--captions", description = "Captions to send instead of the demo set: a .jsonl or .csv file, or a folder of images.")
    Path captions;

    @Option(names = "--follow", description = "Keep running for new captions (produce them to the printed broker) until Ctrl-C.")
    boolean follow;

    @Option(names = "--gallery", defaultValue = "gallery", description = "Folder for index.html, contact-sheet.png and the images (default: ${DEFAULT-VALUE}).")
    Path gallery;

    @Option(names = "--outcome-wait", defaultValue = "PT35M", description = "How long a bounded run waits for a next sample "
            + "or rejection; then it lists the captions without one and exits with 1 (default: ${DEFAULT-VALUE}).")
    Duration outcomeWait;

    @Option(names = "--bind", defaultValue = LocalStack.LOOPBACK, description = "Address the broker, the dashboard and Flink's "
            + "RPC servers listen on; 0.0.0.0 opens them to the network (default: ${DEFAULT-VALUE}).")
    String bind;

    @Option(names = "--web-port", defaultValue = "0", description = "Port of the Flink dashboard (default: a free port).")
    int webPort;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path source = captions;
        List<Path> roots = new ArrayList<>(job.imageRoots);
        if (source == null) {
            Path demo = Files.createTempDirectory("editstream-demo");
            source = DemoCaptions.unpack(demo);
            out.println("Using the bundled demo captions (" + source + ")");
        }
        roots.add(source.toAbsolutePath().getParent());
        job.imageRoots = roots;
        List<CaptionEvent> events = CaptionFiles.read(source, CaptionFiles.ImageMode.INLINE);
        JobConfig config = job.toBuilder("embedded")
                .checkpointInterval(job.checkpointInterval.equals(Duration.ofSeconds(10)) ? Duration.ofSeconds(2) : job.checkpointInterval)
                .build();
        return new LocalStack(out, outcomeWait).run(config, events, follow, gallery, webPort, job.fromCheckpoint, job.fromSavepoint, bind);
    }
}
