package org.editstream.cli;

import org.editstream.flink.ExportSinks;
import picocli.CommandLine.Option;

/** How WebDataset shards roll, for every command that writes them. */
public class ShardOptions {
    @Option(names = "--shard-samples", defaultValue = "1000", description = "WebDataset shards roll at this many samples (default: ${DEFAULT-VALUE}).")
    int shardSamples;

    @Option(names = "--shard-bytes", defaultValue = "1073741824", description = "... or at this many bytes (default: ${DEFAULT-VALUE}).")
    long shardBytes;

    ExportSinks.ShardLimits limits() {
        return new ExportSinks.ShardLimits(shardSamples, shardBytes);
    }
}
