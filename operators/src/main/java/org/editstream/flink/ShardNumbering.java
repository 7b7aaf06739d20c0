package org.editstream.flink;

import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
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
import org.apache.flink.streaming.api.connector.sink2.CommittableSummary;
import org.apache.flink.streaming.api.connector.sink2.SupportsPostCommitTopology;
import org.apache.flink.streaming.api.connector.sink2.SupportsPreCommitTopology;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * WebDataset shards numbered per bucket: {@code task=color/date=2026-12-02/shard-000000.tar}, {@code shard-000001.tar},
 * ..., so that the webdataset convention's brace patterns ({@code shard-{000000..000041}.tar}) name every shard.
 *
 * <p>The file sink writes and commits part files under names of its own ({@code part-<uuid>-<n>.tar}, or
 * {@code compacted-part-...} after compaction), which no {@code shard-*.tar} glob matches. This sink's post-commit step
 * (one task for the whole sink, so numbers are never handed out twice) renames every committed part file it finds
 * under the sink's folder to its bucket's next number: one more than the highest {@code shard-N.tar} there, in the
 * order the files were committed.
 *
 * <p>It looks at the folder rather than at the committables Flink hands it, because a streaming job's committer hands
 * none over for the final checkpoint (they come after the end of data) nor for what it commits again after a restore.
 * So it looks whenever a checkpoint's committables arrive, every {@code scanEvery}, and when it closes (after the
 * committer's task has finished, so after the last commit).
 *
 * <p>Across restarts: a visible part file is a committed one (Flink commits by renaming a hidden file), Flink commits
 * each part file once (committing again after a restore finds the hidden file gone and does nothing), and the number
 * is taken from what the folder holds, so each committed shard gets exactly one number and a bucket's numbers stay
 * contiguous. This needs a file system whose rename is atomic (local, HDFS, NFS): on an object store a rename is a
 * copy and a delete, and a crash between the two leaves one shard under two names, which {@code export verify}
 * reports as duplicated ids.
 */
public final class ShardNumbering extends AbstractStreamOperator<Void>
        implements OneInputStreamOperator<CommittableMessage<FileSinkCommittable>, Void> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ShardNumbering.class);

    /** A committed part file of the sink, before numbering. */
    private static final Pattern PART = Pattern.compile("(compacted-)?" + ExportSinks.PART_PREFIX + "-.+\\.tar");
    private static final Pattern SHARD = Pattern.compile("shard-(\\d+)\\.tar");

    private final String root;
    private final long scanEveryMillis;

    /**
     * @param root      the file sink's base folder
     * @param scanEvery how often the folder is looked at between checkpoints' committables
     */
    public ShardNumbering(String root, Duration scanEvery) {
        this.root = root;
        this.scanEveryMillis = Math.max(1, scanEvery.toMillis());
    }

    /** The name of a bucket's shard number {@code n}. */
    public static String shardName(long n) {
        return String.format(Locale.ROOT, "shard-%06d.tar", n);
    }

    @Override
    public void open() throws Exception {
        super.open();
        getProcessingTimeService().scheduleWithFixedDelay(time -> numberAll(), scanEveryMillis, scanEveryMillis);
    }

    @Override
    public void processElement(StreamRecord<CommittableMessage<FileSinkCommittable>> element) throws IOException {
        if (element.getValue() instanceof CommittableSummary<?>) {
            numberAll();
        }
    }

    @Override
    public void finish() throws Exception {
        numberAll();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        try {
            numberAll();
        } finally {
            super.close();
        }
    }

    /** Numbers every committed part file under the root; returns how many it numbered. */
    int numberAll() throws IOException {
        Path base = new Path(root);
        FileSystem fs = base.getFileSystem();
        return fs.exists(base) ? numberUnder(fs, base) : 0;
    }

    private static int numberUnder(FileSystem fs, Path folder) throws IOException {
        FileStatus[] listed = fs.listStatus(folder);
        if (listed == null) {
            return 0;
        }
        int numbered = 0;
        long next = 0;
        List<FileStatus> parts = new ArrayList<>();
        for (FileStatus f : listed) {
            String name = f.getPath().getName();
            if (name.startsWith(".") || name.startsWith("_")) {
                continue; // in progress, or not the sink's
            }
            if (f.isDir()) {
                numbered += numberUnder(fs, f.getPath());
            } else if (PART.matcher(name).matches()) {
                parts.add(f);
            } else {
                Matcher m = SHARD.matcher(name);
                if (m.matches()) {
                    next = Math.max(next, Long.parseLong(m.group(1)) + 1);
                }
            }
        }
        parts.sort(Comparator.comparingLong(FileStatus::getModificationTime).thenComparing(f -> f.getPath().getName()));
        for (FileStatus part : parts) {
            Path shard = new Path(folder, shardName(next++));
            if (!fs.rename(part.getPath(), shard)) {
                throw new IOException("could not rename the committed shard " + part.getPath() + " to " + shard);
            }
            LOG.debug("committed shard {} is {}", part.getPath(), shard);
            numbered++;
        }
        return numbered;
    }

    /** A {@link FileSink} whose committed shards are numbered by {@link ShardNumbering}; everything else is the file sink's. */
    public static final class NumberedSink<IN> implements Sink<IN>, SupportsWriterState<IN, FileWriterBucketState>,
            SupportsWriterState.WithCompatibleState, SupportsCommitter<FileSinkCommittable>,
            SupportsPreCommitTopology<FileSinkCommittable, FileSinkCommittable>, SupportsPostCommitTopology<FileSinkCommittable> {
        private static final long serialVersionUID = 1L;

        private final FileSink<IN> files;

        private final String root;
        private final Duration scanEvery;

        NumberedSink(FileSink<IN> files, String root, Duration scanEvery) {
            this.files = files;
            this.root = root;
            this.scanEvery = scanEvery;
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
            committables.global().transform("number the shards", BasicTypeInfo.VOID_TYPE_INFO, new ShardNumbering(root, scanEvery))
                    .setParallelism(1).setMaxParallelism(1);
        }
    }
}
