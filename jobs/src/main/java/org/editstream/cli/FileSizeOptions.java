package org.editstream.cli;

import org.editstream.flink.ExportSinks;
import picocli.CommandLine.Option;

import java.time.Duration;

/** How big training files get, for every command that writes them. */
public class FileSizeOptions {
    @Option(names = "--shard-samples", defaultValue = "1000",
            description = "A WebDataset shard holds at most this many samples (export; the job's in-progress shards) (default: ${DEFAULT-VALUE}).")
    int shardSamples;

    @Option(names = "--shard-bytes", defaultValue = "1073741824",
            description = "WebDataset shards roll at this many bytes; the job compacts its shards to this size (default: ${DEFAULT-VALUE}).")
    long shardBytes;

    @Option(names = "--parquet-bytes", defaultValue = "268435456",
            description = "Parquet files roll (export) or are compacted (the job) at this many bytes (default: ${DEFAULT-VALUE}).")
    long parquetBytes;

    @Option(names = "--export-roll-interval", defaultValue = "PT15M",
            description = "The job compacts each folder's files at least this often, whatever their size (ISO-8601, default: ${DEFAULT-VALUE}).")
    Duration rollInterval;

    ExportSinks.FileSizes sizes() {
        try {
            return new ExportSinks.FileSizes(shardSamples, shardBytes, parquetBytes, rollInterval);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--shard-samples, --shard-bytes, --parquet-bytes and --export-roll-interval: " + e.getMessage(), e);
        }
    }
}
