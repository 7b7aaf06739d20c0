package org.editstream.cluster;

import org.apache.flink.api.common.JobID;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.rest.FileUpload;
import org.apache.flink.runtime.rest.RestClient;
import org.apache.flink.runtime.rest.messages.EmptyMessageParameters;
import org.apache.flink.runtime.rest.messages.EmptyRequestBody;
import org.apache.flink.runtime.rest.util.RestConstants;
import org.apache.flink.runtime.webmonitor.handlers.JarRunHeaders;
import org.apache.flink.runtime.webmonitor.handlers.JarRunMessageParameters;
import org.apache.flink.runtime.webmonitor.handlers.JarRunRequestBody;
import org.apache.flink.runtime.webmonitor.handlers.JarUploadHeaders;
import org.apache.flink.runtime.webmonitor.handlers.JarUploadResponseBody;
import org.editstream.cli.EditStreamCommand;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The job submitted to a Flink cluster over its REST API, as the dashboard's "Submit New Job" does: the jar is
 * uploaded to the JobManager ({@code POST /jars/upload}), which then runs its entry point with the command line's
 * arguments ({@code POST /jars/:id/run}) and starts the job graph it builds. Also stop-with-savepoint and status,
 * through Flink's own REST client.
 */
public final class JobSubmission implements AutoCloseable {
    private static final long TIMEOUT_MINUTES = 10;

    private final URI address;
    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "editstream-rest");
        t.setDaemon(true);
        return t;
    });
    private final RestClient rest;
    private final RestClusterClient<String> cluster;

    /** A client of the JobManager at {@code address} ({@code http://host:port}, the dashboard's address). */
    public JobSubmission(URI address) throws Exception {
        this.address = address;
        Configuration c = new Configuration();
        c.setString("rest.address", address.getHost());
        c.setString("rest.port", Integer.toString(address.getPort()));
        // the jar is hundreds of MB: allow it, and give the upload its time
        c.setString("rest.client.max-content-length", Integer.toString(1 << 30));
        c.setString("rest.idleness-timeout", "10 min");
        this.rest = new RestClient(c, executor);
        this.cluster = new RestClusterClient<>(c, "editstream");
    }

    /** Uploads the job's jar; returns the id the JobManager stored it under. */
    public String upload(Path jar) throws Exception {
        if (!Files.isRegularFile(jar) || !jar.getFileName().toString().endsWith(".jar")) {
            throw new IllegalArgumentException("not a jar: " + jar);
        }
        JarUploadResponseBody uploaded = rest.sendRequest(address.getHost(), address.getPort(), JarUploadHeaders.getInstance(),
                EmptyMessageParameters.getInstance(), EmptyRequestBody.getInstance(),
                List.of(new FileUpload(jar, RestConstants.CONTENT_TYPE_JAR))).get(TIMEOUT_MINUTES, TimeUnit.MINUTES);
        String file = uploaded.getFilename();
        return Path.of(file).getFileName().toString();
    }

    /**
     * Runs the uploaded jar's command line with {@code arguments} (e.g. {@code run --bootstrap-servers ...}) on the
     * JobManager, restoring from {@code savepoint} when not null; returns the job's id.
     */
    public JobID run(String jarId, List<String> arguments, String savepoint) throws Exception {
        JarRunMessageParameters parameters = JarRunHeaders.getInstance().getUnresolvedMessageParameters();
        parameters.jarIdPathParameter.resolve(jarId);
        JarRunRequestBody body = new JarRunRequestBody(EditStreamCommand.class.getName(), arguments, null, null,
                savepoint == null ? null : Boolean.FALSE, savepoint, null, Map.of());
        return rest.sendRequest(address.getHost(), address.getPort(), JarRunHeaders.getInstance(), parameters, body)
                .get(TIMEOUT_MINUTES, TimeUnit.MINUTES).getJobId();
    }

    /** Stops the job with a savepoint under {@code directory} (a URI every process can reach); returns its path. */
    public String stopWithSavepoint(JobID job, String directory) throws Exception {
        return cluster.stopWithSavepoint(job, false, directory, SavepointFormatType.CANONICAL)
                .get(TIMEOUT_MINUTES, TimeUnit.MINUTES);
    }

    /** Flink's client of this JobManager, for status and job details. */
    public RestClusterClient<String> cluster() {
        return cluster;
    }

    @Override
    public void close() {
        cluster.close();
        rest.shutdown(java.time.Duration.ofSeconds(5));
        executor.shutdownNow();
    }
}
