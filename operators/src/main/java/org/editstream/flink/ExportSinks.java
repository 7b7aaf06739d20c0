package org.editstream.flink;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.sink.compactor.FileCompactStrategy;
import org.apache.flink.connector.file.sink.compactor.OutputStreamBasedFileCompactor;
import org.apache.flink.connector.file.sink.compactor.RecordWiseFileCompactor;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.formats.parquet.ParquetInputFile;
import org.apache.flink.formats.parquet.ParquetWriterFactory;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.streaming.api.functions.sink.filesystem.PartFileInfo;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.CheckpointRollingPolicy;
import org.apache.parquet.hadoop.ParquetReader;
import org.editstream.export.ParquetRows;
import org.editstream.export.TrainingRows;
import org.editstream.export.WebDatasetShard;
import org.editstream.schema.EditSample;
import org.editstream.schema.export.TrainingRow;
import org.editstream.tasks.TaskCatalogue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Training-ready file sinks of the samples, through Flink's {@link FileSink} (any Flink file system: local,
 * s3://, hdfs://): Parquet rows ({@link TrainingRow}) and WebDataset tar shards, both bucketed
 * {@code task=<task>/date=<yyyy-MM-dd>} (the day the sample was made, UTC) and committed on checkpoints, so a
 * restart neither loses nor repeats a sample.
 *
 * <p>How big files get: a bulk part file is closed on every checkpoint, so a streaming job would leave one small
 * file per checkpoint and bucket. The streaming sinks therefore roll in-progress files by size and age and let
 * Flink's file compaction merge a bucket's committed files once they reach the target size (or once the roll
 * interval's worth of checkpoints has passed): Parquet row by row, shards member by member. The bounded export
 * writes with one writer and no checkpoints, so its files are exactly the size asked, the last of a bucket
 * excepted. Both number their shards per bucket once committed ({@link ShardNumbering}).
 */
public final class ExportSinks {
    /**
     * @param shardSamples  a WebDataset shard holds at most this many samples (the bounded export; the streaming
     *                      sink's in-progress files)
     * @param shardBytes    ... and rolls at this many bytes; the streaming sink compacts shards to this size
     * @param parquetBytes  Parquet files roll (export) or are compacted (streaming) at this size
     * @param rollInterval  the streaming sinks compact what a bucket has at least this often
     */
    public record FileSizes(int shardSamples, long shardBytes, long parquetBytes, Duration rollInterval) implements Serializable {
        public FileSizes {
            if (shardSamples < 1 || shardBytes < 1 || parquetBytes < 1 || rollInterval.isNegative() || rollInterval.isZero()) {
                throw new IllegalArgumentException("file sizes and the roll interval must be positive: " + shardSamples
                        + " samples, " + shardBytes + " bytes, " + parquetBytes + " bytes, " + rollInterval);
            }
        }

        public static FileSizes defaults() {
            return new FileSizes(1000, 1L << 30, 256L << 20, Duration.ofMinutes(15));
        }
    }

    /** Names of part files before compaction and numbering; readers' globs ({@code shard-*.tar}) never see them. */
    static final String PART_PREFIX = "part";

    private ExportSinks() {
    }

    /** Streaming Parquet: rolled by size and age, compacted to {@link FileSizes#parquetBytes()}. */
    public static FileSink<TrainingRow> parquet(String directory, FileSizes sizes, Duration checkpointInterval) {
        return FileSink.forBulkFormat(new Path(directory), parquetWriter(sizes))
                .withBucketAssigner(new TaskAndDate<>(ExportSinks::bucketOf))
                .withRollingPolicy(new SizeAndAge<>(Integer.MAX_VALUE, sizes.parquetBytes(), sizes.rollInterval()))
                .withOutputFileConfig(names(".parquet"))
                .enableCompact(compaction(sizes.parquetBytes(), sizes, checkpointInterval),
                        new RecordWiseFileCompactor<>(new ParquetRowReader()))
                .build();
    }

    /** The bounded export's Parquet: one writer, files rolled at {@link FileSizes#parquetBytes()}. */
    public static FileSink<TrainingRow> parquetOnce(String directory, FileSizes sizes) {
        return FileSink.forBulkFormat(new Path(directory), parquetWriter(sizes))
                .withBucketAssigner(new TaskAndDate<>(ExportSinks::bucketOf))
                .withRollingPolicy(new SizeAndAge<>(Integer.MAX_VALUE, sizes.parquetBytes(), null))
                .withOutputFileConfig(names(".parquet"))
                .build();
    }

    /**
     * Streaming WebDataset: rolled by samples, size and age, compacted to {@link FileSizes#shardBytes()}, numbered per
     * bucket once committed (looked for on every checkpoint).
     */
    public static ShardNumbering.NumberedSink<EditSample> webDataset(String directory, FileSizes sizes, Duration checkpointInterval) {
        return new ShardNumbering.NumberedSink<>(FileSink.forBulkFormat(new Path(directory), (BulkWriter.Factory<EditSample>) WebDatasetWriter::new)
                .withBucketAssigner(new TaskAndDate<>(ExportSinks::bucketOf))
                .withRollingPolicy(new SizeAndAge<>(sizes.shardSamples(), sizes.shardBytes(), sizes.rollInterval()))
                .withOutputFileConfig(names(".tar"))
                .enableCompact(compaction(sizes.shardBytes(), sizes, checkpointInterval), new ShardCompactor())
                .build(), directory, checkpointInterval);
    }

    /** The bounded export's shards: one writer, each exactly {@link FileSizes#shardSamples()} (or bytes), numbered. */
    public static ShardNumbering.NumberedSink<EditSample> webDatasetOnce(String directory, FileSizes sizes) {
        return new ShardNumbering.NumberedSink<>(FileSink.forBulkFormat(new Path(directory), (BulkWriter.Factory<EditSample>) WebDatasetWriter::new)
                .withBucketAssigner(new TaskAndDate<>(ExportSinks::bucketOf))
                .withRollingPolicy(new SizeAndAge<>(sizes.shardSamples(), sizes.shardBytes(), null))
                .withOutputFileConfig(names(".tar"))
                .build(), directory, sizes.rollInterval());
    }

    /** The bucket of a sample: {@code task=local/date=2026-11-25}. */
    public static String bucketOf(EditSample sample) {
        return bucket(TaskCatalogue.nameOf(sample.getTask()), sample.getLineage().getCreatedAt());
    }

    public static String bucketOf(TrainingRow row) {
        return bucket(row.getTask(), TrainingRows.madeAt(row));
    }

    private static String bucket(String task, Instant made) {
        return "task=" + task + "/date="
                + DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC).format(made == null ? Instant.EPOCH : made);
    }

    private static ParquetWriterFactory<TrainingRow> parquetWriter(FileSizes sizes) {
        // row groups of at most an eighth of the target, so a file ends within an eighth over it
        int rowGroup = (int) Math.max(1 << 20, Math.min(ParquetRows.ROW_GROUP_BYTES, sizes.parquetBytes() / 8));
        return new ParquetWriterFactory<>(out -> ParquetRows.writer(out, rowGroup));
    }

    private static OutputFileConfig names(String suffix) {
        return OutputFileConfig.builder().withPartPrefix(PART_PREFIX).withPartSuffix(suffix).build();
    }

    private static FileCompactStrategy compaction(long targetBytes, FileSizes sizes, Duration checkpointInterval) {
        int checkpoints = (int) Math.max(1, sizes.rollInterval().toMillis() / Math.max(1, checkpointInterval.toMillis()));
        return FileCompactStrategy.Builder.newBuilder().setSizeThreshold(targetBytes).enableCompactionOnCheckpoint(checkpoints).build();
    }

    static final class TaskAndDate<T> implements BucketAssigner<T, String> {
        private static final long serialVersionUID = 1L;

        interface Bucketing<T> extends Serializable {
            String bucketOf(T element);
        }

        private final Bucketing<T> bucketing;

        TaskAndDate(Bucketing<T> bucketing) {
            this.bucketing = bucketing;
        }

        @Override
        public String getBucketId(T element, Context context) {
            return bucketing.bucketOf(element);
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

    /**
     * Rolls a part file when it holds {@code maxElements}, when it reaches {@code maxBytes}, when it is older than
     * {@code maxAge} (null: never), and on every checkpoint (what makes bulk part files exact).
     */
    static final class SizeAndAge<T> extends CheckpointRollingPolicy<T, String> {
        private static final long serialVersionUID = 1L;

        private final int maxElements;
        private final long maxBytes;
        private final Duration maxAge;
        /** Elements in each open part file, the part file being the key: Flink hands the same object every call. */
        private transient Map<PartFileInfo<String>, Integer> counts;

        SizeAndAge(int maxElements, long maxBytes, Duration maxAge) {
            this.maxElements = maxElements;
            this.maxBytes = maxBytes;
            this.maxAge = maxAge;
        }

        @Override
        public boolean shouldRollOnEvent(PartFileInfo<String> part, T element) throws IOException {
            if (counts == null) {
                counts = new WeakHashMap<>();
            }
            // Flink asks before every element but a part's first: the calls so far count the elements in the part
            int inPart = counts.merge(part, 1, Integer::sum);
            boolean roll = inPart >= maxElements || part.getSize() >= maxBytes;
            if (roll) {
                counts.remove(part);
            }
            return roll;
        }

        @Override
        public boolean shouldRollOnProcessingTime(PartFileInfo<String> part, long currentTime) {
            return maxAge != null && currentTime - part.getCreationTime() >= maxAge.toMillis();
        }
    }

    /** Reads a committed Parquet part file back, row by row, for compaction. */
    static final class ParquetRowReader implements RecordWiseFileCompactor.Reader.Factory<TrainingRow> {
        private static final long serialVersionUID = 1L;

        @Override
        public RecordWiseFileCompactor.Reader<TrainingRow> createFor(Path path) throws IOException {
            FileSystem fs = path.getFileSystem();
            long length = fs.getFileStatus(path).getLen();
            FSDataInputStream in = fs.open(path);
            ParquetReader<TrainingRow> reader = ParquetRows.reader(new ParquetInputFile(in, length));
            return new RecordWiseFileCompactor.Reader<>() {
                @Override
                public TrainingRow read() throws IOException {
                    return reader.read();
                }

                @Override
                public void close() throws IOException {
                    reader.close();
                    in.close();
                }
            };
        }
    }

    /** Merges committed shards into one: every member of each, in order, then one end of archive. */
    static final class ShardCompactor extends OutputStreamBasedFileCompactor {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doCompact(List<Path> inputFiles, OutputStream out) throws Exception {
            WebDatasetShard shard = new WebDatasetShard(out);
            for (Path input : inputFiles) {
                try (FSDataInputStream in = input.getFileSystem().open(input)) {
                    shard.copyMembers(in);
                }
            }
            shard.finish();
        }
    }
}
