package org.editstream.flink;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.formats.parquet.avro.AvroParquetWriters;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.PartFileInfo;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.CheckpointRollingPolicy;
import org.editstream.export.WebDatasetShard;
import org.editstream.schema.EditSample;
import org.editstream.tasks.TaskCatalogue;

import java.io.IOException;
import java.io.Serializable;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;

/**
 * Training-ready file sinks of the samples, through Flink's {@link FileSink} (any Flink file system: local,
 * s3://, hdfs://): Parquet with the EditSample schema, and WebDataset tar shards. Both are bucketed as
 * {@code task=<task>/date=<yyyy-MM-dd>} (the day the sample was made, UTC), and part files are committed on
 * checkpoints: a restart neither loses nor repeats a sample.
 */
public final class ExportSinks {
    /** WebDataset shards roll at this many samples or bytes, whichever comes first (and on every checkpoint). */
    public record ShardLimits(int maxSamples, long maxBytes) implements Serializable {
        public static ShardLimits defaults() {
            return new ShardLimits(1000, 1L << 30);
        }
    }

    private ExportSinks() {
    }

    public static FileSink<EditSample> parquet(String directory) {
        return FileSink.forBulkFormat(new Path(directory), AvroParquetWriters.forSpecificRecord(EditSample.class))
                .withBucketAssigner(new TaskAndDate())
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("part").withPartSuffix(".parquet").build())
                .build();
    }

    public static FileSink<EditSample> webDataset(String directory, ShardLimits limits) {
        return FileSink.forBulkFormat(new Path(directory), (BulkWriter.Factory<EditSample>) WebDatasetWriter::new)
                .withBucketAssigner(new TaskAndDate())
                .withRollingPolicy(new ShardRolling(limits))
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix("shard").withPartSuffix(".tar").build())
                .build();
    }

    /** The bucket of a sample: {@code task=local/date=2026-11-25}. */
    public static String bucketOf(EditSample sample) {
        Instant made = sample.getLineage().getCreatedAt();
        return "task=" + TaskCatalogue.nameOf(sample.getTask()) + "/date="
                + DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(made == null ? Instant.EPOCH : made);
    }

    static final class TaskAndDate implements BucketAssigner<EditSample, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(EditSample sample, Context context) {
            return bucketOf(sample);
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }

    /** Writes samples into one tar shard. */
    static final class WebDatasetWriter implements BulkWriter<EditSample> {
        private final WebDatasetShard shard;

        WebDatasetWriter(FSDataOutputStream out) {
            this.shard = new WebDatasetShard(out);
        }

        @Override
        public void addElement(EditSample sample) throws IOException {
            shard.add(sample);
        }

        @Override
        public void flush() throws IOException {
            shard.flush();
        }

        @Override
        public void finish() throws IOException {
            shard.finish();
        }
    }

    /** Rolls a shard at its sample or byte limit, and on every checkpoint (what makes bulk part files exact). */
    static final class ShardRolling extends CheckpointRollingPolicy<EditSample, String> {
        private static final long serialVersionUID = 1L;

        private final ShardLimits limits;
        private transient Map<String, Integer> counts;

        ShardRolling(ShardLimits limits) {
            this.limits = limits;
        }

        @Override
        public boolean shouldRollOnEvent(PartFileInfo<String> part, EditSample element) throws IOException {
            if (counts == null) {
                counts = new HashMap<>();
            }
            // Flink asks before every element but a part's first, so the calls so far count the samples already in
            // the part; a part file is known by its bucket and creation time
            String key = part.getBucketId() + "@" + part.getCreationTime();
            counts.keySet().removeIf(k -> k.startsWith(part.getBucketId() + "@") && !k.equals(key));
            int inPart = counts.merge(key, 1, Integer::sum);
            boolean roll = inPart >= limits.maxSamples() || part.getSize() >= limits.maxBytes();
            if (roll) {
                counts.remove(key);
            }
            return roll;
        }

        @Override
        public boolean shouldRollOnProcessingTime(PartFileInfo<String> part, long currentTime) {
            return false;
        }
    }
}
