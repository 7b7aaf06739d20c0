package org.editstream.job;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptionsInternal;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Where a start of the job resumes from, decided once before it is submitted: the latest completed checkpoint of
 * this job's identity under {@code --checkpoint-dir} (the default, so that a crashed job started again with the same
 * command resumes), a checkpoint or savepoint named on the command line, or nothing. {@link #line()} says which, in
 * one line; a start without a checkpoint also says what it found of an earlier run and what it will do about it.
 *
 * @param path the checkpoint or savepoint to restore, or null to start without state
 * @param line what this start does, for the start-up lines
 */
public record Recovery(String path, String line) {
    /** {@code --from-checkpoint latest}: the newest completed checkpoint of this job, if any (the default). */
    public static final String LATEST = "latest";
    /** {@code --from-checkpoint none}: start without state even if checkpoints exist. */
    public static final String NONE = "none";

    /**
     * The job's id, the same for every start of one job identity (consumer group and transactional-id prefix), so
     * that its checkpoints sit in one folder, {@code <checkpoint dir>/<id>/chk-N}, where a restart finds them.
     */
    public static JobID jobId(JobConfig config) {
        UUID id = UUID.nameUUIDFromBytes(("editstream/" + config.groupId() + "/" + config.transactionalIdPrefix())
                .getBytes(StandardCharsets.UTF_8));
        return new JobID(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /**
     * @param fromCheckpoint {@code latest} (also when null), {@code none}, or a checkpoint's path
     * @param fromSavepoint  a savepoint's path, or null
     */
    public static Recovery decide(JobConfig config, String fromCheckpoint, String fromSavepoint) {
        if (fromSavepoint != null) {
            if (fromCheckpoint != null && !LATEST.equals(fromCheckpoint)) {
                throw new IllegalArgumentException("--from-savepoint and --from-checkpoint " + fromCheckpoint
                        + " name two starting points; give one");
            }
            return new Recovery(fromSavepoint, "Resuming from savepoint " + fromSavepoint);
        }
        String mode = fromCheckpoint == null ? LATEST : fromCheckpoint;
        if (NONE.equals(mode)) {
            return new Recovery(null, "Starting without a checkpoint (--from-checkpoint none); " + freshStart(config));
        }
        if (!LATEST.equals(mode)) {
            return new Recovery(mode, "Resuming from checkpoint " + mode);
        }
        if (config.checkpointDirectory() == null) {
            return new Recovery(null, "No --checkpoint-dir, so nothing to resume from after a crash (give one to resume "
                    + "exactly); " + freshStart(config));
        }
        Optional<String> latest = latestCheckpoint(config.checkpointDirectory(), jobId(config));
        return latest.map(p -> new Recovery(p, "Resuming from the latest completed checkpoint, " + p))
                .orElseGet(() -> new Recovery(null, "No completed checkpoint of this job in " + config.checkpointDirectory()
                        + "; " + freshStart(config)));
    }

    /** Sets the Flink options of this start: the fixed job id and, if there is one, the state to restore. */
    public void applyTo(Configuration flink, JobConfig config) {
        flink.set(PipelineOptionsInternal.PIPELINE_FIXED_JOB_ID, jobId(config).toHexString());
        if (path != null) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
        }
    }

    /**
     * The newest {@code chk-N} of the job under {@code directory} whose metadata reads back whole: a process killed
     * while writing a checkpoint's metadata leaves a partial file, and the one before it is then the latest
     * completed checkpoint (Flink keeps it until a newer one completes).
     */
    static Optional<String> latestCheckpoint(String directory, JobID job) {
        Path root = new Path(new Path(directory), job.toHexString());
        try {
            FileSystem fs = root.getFileSystem();
            if (!fs.exists(root)) {
                return Optional.empty();
            }
            List<FileStatus> checkpoints = new ArrayList<>();
            for (FileStatus entry : fs.listStatus(root)) {
                if (entry.isDir() && entry.getPath().getName().matches("chk-\\d+")) {
                    checkpoints.add(entry);
                }
            }
            checkpoints.sort(Comparator.comparingLong((FileStatus s) -> Long.parseLong(s.getPath().getName().substring(4))).reversed());
            for (FileStatus checkpoint : checkpoints) {
                Path metadata = new Path(checkpoint.getPath(), "_metadata");
                if (fs.exists(metadata) && readsBack(fs, metadata, checkpoint.getPath().toString())) {
                    return Optional.of(checkpoint.getPath().toString());
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the checkpoints in " + root + ": " + e.getMessage(), e);
        }
    }

    private static boolean readsBack(FileSystem fs, Path metadata, String pointer) {
        try (DataInputStream in = new DataInputStream(fs.open(metadata))) {
            Checkpoints.loadCheckpointMetadata(in, Recovery.class.getClassLoader(), pointer);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** What a start without state finds of an earlier run in Kafka, and what it will do. */
    static String freshStart(JobConfig config) {
        Properties properties = new Properties();
        properties.putAll(config.kafkaProperties());
        properties.setProperty("bootstrap.servers", config.bootstrapServers());
        properties.setProperty("request.timeout.ms", "10000");
        properties.setProperty("default.api.timeout.ms", "10000");
        try (Admin admin = Admin.create(properties)) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.groupId())
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            long committedPartitions = committed.entrySet().stream()
                    .filter(e -> e.getKey().topic().equals(config.captionsTopic()) && e.getValue() != null).count();
            long earlier = records(admin, config.samplesTopic()) + records(admin, config.rejectionsTopic());
            if (committedPartitions == 0 && earlier == 0) {
                return "starting from the beginning of " + config.captionsTopic();
            }
            String found = (committedPartitions > 0 ? "group " + config.groupId() + " has committed offsets on "
                    + committedPartitions + " partition(s) of " + config.captionsTopic() : "no committed offsets")
                    + (earlier > 0 ? ", and " + config.samplesTopic() + "/" + config.rejectionsTopic() + " hold output of an "
                    + "earlier run (end offsets " + earlier + ")" : "");
            return found + ": starting from " + (committedPartitions > 0 ? "the committed offsets" : "the beginning of "
                    + config.captionsTopic()) + " with empty dedupe state, so captions read since the last commit "
                    + "may come out again";
        } catch (Exception e) {
            return "could not read the group's offsets from " + config.bootstrapServers() + " (" + e.getMessage()
                    + "); starting from the committed offsets, or the beginning of " + config.captionsTopic();
        }
    }

    /** Records in {@code topic} (0 when it does not exist yet). */
    private static long records(Admin admin, String topic) throws Exception {
        List<TopicPartition> partitions = new ArrayList<>();
        org.apache.kafka.clients.admin.TopicDescription description;
        try {
            description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                return 0;
            }
            throw e;
        }
        description.partitions().forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        return admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS).values().stream().mapToLong(o -> o.offset()).sum();
    }
}
