package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.connector.sink2.Committer;
import org.apache.flink.api.connector.sink2.CommitterInitContext;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsCommitter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.file.sink.FileSinkCommittable;
import org.apache.flink.connector.file.sink.writer.FileWriterBucketState;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.api.connector.sink2.CommittableWithLineage;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.connector.sink2.SupportsPreCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WebDataset shards numbered per bucket: {@code task=color/date=2026-12-02/shard-000000.tar}, {@code shard-000001.tar},
 * ..., so that the webdataset convention's brace patterns ({@code shard-{000000..000041}.tar}) name every shard.
 *
 * <p>The file sink writes and commits part files under names of its own ({@code part-<uuid>-<n>.tar}, or
 * {@code compacted-part-...} after compaction), which no {@code shard-*.tar} glob matches. Once Flink has committed
 * one, this sink's post-commit step (one task for the whole sink, so numbers are never handed out twice) renames it
 * to the bucket's next number: one more than the highest {@code shard-N.tar} in the folder.
 *
 * <p>Used by the bounded {@code export}, whose committer hands every committable to this step when the input ends. In
 * a streaming job Flink's committer did not hand over the final checkpoint's committables, nor any after a restore
 * (seen in ExportIT), so the job's own shard sink is not numbered yet.
 *
 * <p>Across restarts: Flink commits every part file exactly once and hands its committable to this step at least
 * once (again after a restore). A committable whose file is gone has been numbered already and is skipped, and a
 * number is taken from what the folder holds, so each committed shard gets exactly one number and the numbers of a
 * bucket stay contiguous. This needs a file system whose rename is atomic (local, HDFS, NFS): on an object store a
 * rename is a copy and a delete, and a crash between the two leaves one shard under two names, which
 * {@code export verify} reports as duplicated ids.
 */
public final class ShardNumbering extends ProcessFunction<CommittableMessage<FileSinkCommittable>, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShardNumbering.class);

    /** A committed part file of the sink, before numbering. */
    private static final Pattern PART = Pattern.compile("(compacted-)?" + ExportSinks.PART_PREFIX + "-.+\\.tar");
    private static final Pattern SHARD = Pattern.compile("shard-(\\d+)\\.tar");

    private transient Map<Path, Long> next;

    /** The name of a bucket's shard number {@code n}. */
    public static String shardName(long n) {
        return String.format(Locale.ROOT, "shard-%06d.tar", n);
    }

    @Override
    public void open(OpenContext context) {
        next = new HashMap<>();
    }

    @Override
    public void processElement(CommittableMessage<FileSinkCommittable> message, Context context, Collector<Void> out) throws IOException {
        if (!(message instanceof CommittableWithLineage<FileSinkCommittable> committed) || !committed.getCommittable().hasPendingFile()) {
            return;
        }
        Path file = committed.getCommittable().getPendingFile().getPath();
        if (file != null && PART.matcher(file.getName()).matches()) {
            number(file);
        }
    }

    private void number(Path part) throws IOException {
        FileSystem fs = part.getFileSystem();
        if (!fs.exists(part)) {
            return; // numbered before a restore: Flink hands its committable over again
        }
        Path bucket = part.getParent();
        long n = next.containsKey(bucket) ? next.get(bucket) : nextFree(fs, bucket);
        Path shard = new Path(bucket, shardName(n));
        if (fs.exists(shard)) { // another writer in the folder: read it again
            n = nextFree(fs, bucket);
            shard = new Path(bucket, shardName(n));
        }
        if (!fs.rename(part, shard)) {
            throw new IOException("could not rename the committed shard " + part + " to " + shard);
        }
        next.put(bucket, n + 1);
        LOG.debug("committed shard {} is {}", part, shard);
    }

    private static long nextFree(FileSystem fs, Path bucket) throws IOException {
        long highest = -1;
        FileStatus[] files = fs.listStatus(bucket);
        for (FileStatus f : files == null ? new FileStatus[0] : files) {
            Matcher m = SHARD.matcher(f.getPath().getName());
            if (m.matches()) {
                highest = Math.max(highest, Long.parseLong(m.group(1)));
            }
        }
        return highest + 1;
    }

    /** A {@link FileSink} whose committed shards are numbered by {@link ShardNumbering}; everything else is the file sink's. */
    public static final class NumberedSink<IN> implements Sink<IN>, SupportsWriterState<IN, FileWriterBucketState>,
            SupportsWriterState.WithCompatibleState, SupportsCommitter<FileSinkCommittable>,
            SupportsPreCommitTopology<FileSinkCommittable, FileSinkCommittable>, SupportsPostCommitTopology<FileSinkCommittable> {
        private static final long serialVersionUID = 1L;

        private final FileSink<IN> files;

        NumberedSink(FileSink<IN> files) {
            this.files = files;
        }

        @Override
        public SinkWriter<IN> createWriter(WriterInitContext context) throws IOException {
            return files.createWriter(context);
        }

        @Override
        public StatefulSinkWriter<IN, FileWriterBucketState> restoreWriter(WriterInitContext context,
                Collection<FileWriterBucketState> state) throws IOException {
            return files.restoreWriter(context, state);
        }

        @Override
        public SimpleVersionedSerializer<FileWriterBucketState> getWriterStateSerializer() {
            return files.getWriterStateSerializer();
        }

        @Override
        public Collection<String> getCompatibleWriterStateNames() {
            return files.getCompatibleWriterStateNames();
        }

        @Override
        public Committer<FileSinkCommittable> createCommitter(CommitterInitContext context) throws IOException {
            return files.createCommitter(context);
        }

        @Override
        public SimpleVersionedSerializer<FileSinkCommittable> getCommittableSerializer() {
            return files.getCommittableSerializer();
        }

        @Override
        public DataStream<CommittableMessage<FileSinkCommittable>> addPreCommitTopology(
                DataStream<CommittableMessage<FileSinkCommittable>> committables) {
            return files.addPreCommitTopology(committables);
        }

        @Override
        public SimpleVersionedSerializer<FileSinkCommittable> getWriteResultSerializer() {
            return files.getWriteResultSerializer();
        }

        @Override
        public void addPostCommitTopology(DataStream<CommittableMessage<FileSinkCommittable>> committables) {
            // stateless: what it needs to know is in the folder
            committables.global().process(new ShardNumbering()).setParallelism(1).setMaxParallelism(1).name("number the shards")
                    .sinkTo(new DiscardingSink<>()).setParallelism(1).name("numbered");
        }
    }
}
