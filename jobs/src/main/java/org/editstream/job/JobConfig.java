package org.editstream.job;

import org.editstream.avro.SchemaRegistryClient;
import org.editstream.captions.CaptionLimits;
import org.editstream.filters.FilterSettings;
import org.editstream.flink.ExportSinks;
import org.editstream.flink.ImageStoreSettings;
import org.editstream.imaging.ImageLimits;
import org.editstream.imaging.ImageUriPolicy;
import org.editstream.instruct.InstructionRouting;
import org.editstream.recipes.RecipeBook;
import org.editstream.schema.Task;
import org.editstream.tasks.TaskMix;

import java.io.Serializable;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Everything the job reads, in one record: the command line builds it, the job graph takes it, nothing
 * deeper reads the environment.
 *
 * @param bounded           stop at the captions topic's end offsets as of start-up (a finite run), or run on
 * @param schemaRegistryUrl Confluent schema registry: when set, topics carry its wire format; null for plain Avro
 * @param filters           the filter stage's thresholds (pixel change, CLIP, the task check's lead)
 * @param restartDrillAfter fail the job once after this many samples per subtask (0: never), to watch recovery
 * @param instructions      which tasks the LLM agents write (and the server), the rest use templates
 * @param export            training-ready file sinks beside the samples topic
 */
public record JobConfig(
        String bootstrapServers,
        Map<String, String> kafkaProperties,
        String schemaRegistryUrl,
        String captionsTopic,
        String samplesTopic,
        String rejectionsTopic,
        String groupId,
        String transactionalIdPrefix,
        Duration transactionTimeout,
        int maxRecordBytes,
        int parallelism,
        Duration checkpointInterval,
        String checkpointDirectory,
        boolean bounded,
        Duration dedupeTtl,
        TaskMix taskMix,
        RecipeBook.Tools tools,
        CaptionLimits captionLimits,
        ImageLimits imageLimits,
        ImageStoreSettings imageStore,
        long restartDrillAfter,
        String jobVersion,
        FilterSettings filters,
        InstructionRouting instructions,
        Export export) implements Serializable {

    public static final String VERSION = "0.1.0";

    /**
     * File sinks of the kept samples, each off when its folder is null (URIs through Flink's file systems).
     *
     * @param parquet    Parquet files of training rows
     * @param webDataset WebDataset tar shards
     */
    public record Export(String parquet, String webDataset, ExportSinks.FileSizes sizes) implements Serializable {
        public static Export none() {
            return new Export(null, null, ExportSinks.FileSizes.defaults());
        }
    }

    /** A client of the configured schema registry, or null when the topics carry plain Avro. */
    public SchemaRegistryClient schemaRegistry() {
        return schemaRegistryUrl == null ? null : new SchemaRegistryClient(schemaRegistryUrl, Duration.ofSeconds(10));
    }

    /** Defaults for a job against the given broker; the command line and tests change what they need. */
    public static Builder builder(String bootstrapServers) {
        ImageLimits limits = ImageLimits.defaults();
        Builder b = new Builder();
        b.bootstrapServers = bootstrapServers;
        b.kafkaProperties = Map.of();
        b.captionsTopic = "captions";
        b.samplesTopic = "samples";
        b.rejectionsTopic = "rejections";
        b.groupId = "editstream";
        b.transactionalIdPrefix = "editstream";
        b.transactionTimeout = Duration.ofMinutes(10);
        b.maxRecordBytes = 8 * 1024 * 1024;
        b.parallelism = 2;
        b.checkpointInterval = Duration.ofSeconds(10);
        b.checkpointDirectory = null;
        b.bounded = false;
        b.dedupeTtl = Duration.ofDays(7);
        b.taskMix = TaskMix.uniform();
        b.tools = RecipeBook.Tools.defaults();
        b.captionLimits = CaptionLimits.defaults();
        b.imageLimits = limits;
        b.imageStore = new ImageStoreSettings(ImageUriPolicy.filesUnder(List.of(Path.of(".").toAbsolutePath())),
                limits.maxEncodedBytes(), null, Duration.ofSeconds(10));
        b.restartDrillAfter = 0;
        b.jobVersion = VERSION;
        b.filters = FilterSettings.defaults();
        b.instructions = InstructionRouting.templatesOnly();
        b.export = Export.none();
        return b;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.bootstrapServers = bootstrapServers;
        b.kafkaProperties = kafkaProperties;
        b.captionsTopic = captionsTopic;
        b.samplesTopic = samplesTopic;
        b.rejectionsTopic = rejectionsTopic;
        b.groupId = groupId;
        b.transactionalIdPrefix = transactionalIdPrefix;
        b.transactionTimeout = transactionTimeout;
        b.maxRecordBytes = maxRecordBytes;
        b.parallelism = parallelism;
        b.checkpointInterval = checkpointInterval;
        b.checkpointDirectory = checkpointDirectory;
        b.bounded = bounded;
        b.dedupeTtl = dedupeTtl;
        b.taskMix = taskMix;
        b.tools = tools;
        b.captionLimits = captionLimits;
        b.imageLimits = imageLimits;
        b.imageStore = imageStore;
        b.restartDrillAfter = restartDrillAfter;
        b.jobVersion = jobVersion;
        b.schemaRegistryUrl = schemaRegistryUrl;
        b.filters = filters;
        b.instructions = instructions;
        b.export = export;
        return b;
    }

    /** Mutable companion of {@link JobConfig}; fields are named as the record's components. */
    public static final class Builder {
        private String bootstrapServers;
        private Map<String, String> kafkaProperties;
        private String captionsTopic;
        private String samplesTopic;
        private String rejectionsTopic;
        private String groupId;
        private String transactionalIdPrefix;
        private Duration transactionTimeout;
        private int maxRecordBytes;
        private int parallelism;
        private Duration checkpointInterval;
        private String checkpointDirectory;
        private boolean bounded;
        private Duration dedupeTtl;
        private TaskMix taskMix;
        private RecipeBook.Tools tools;
        private CaptionLimits captionLimits;
        private ImageLimits imageLimits;
        private ImageStoreSettings imageStore;
        private long restartDrillAfter;
        private String jobVersion;
        private String schemaRegistryUrl;
        private FilterSettings filters;
        private InstructionRouting instructions;
        private Export export;

        public Builder export(Export value) {
            this.export = value;
            return this;
        }

        public Builder instructions(InstructionRouting value) {
            this.instructions = value;
            return this;
        }

        public Builder bootstrapServers(String value) {
            this.bootstrapServers = value;
            return this;
        }

        public Builder kafkaProperties(Map<String, String> value) {
            this.kafkaProperties = value;
            return this;
        }

        public Builder captionsTopic(String value) {
            this.captionsTopic = value;
            return this;
        }

        public Builder samplesTopic(String value) {
            this.samplesTopic = value;
            return this;
        }

        public Builder rejectionsTopic(String value) {
            this.rejectionsTopic = value;
            return this;
        }

        public Builder groupId(String value) {
            this.groupId = value;
            return this;
        }

        public Builder transactionalIdPrefix(String value) {
            this.transactionalIdPrefix = value;
            return this;
        }

        public Builder transactionTimeout(Duration value) {
            this.transactionTimeout = value;
            return this;
        }

        public Builder maxRecordBytes(int value) {
            this.maxRecordBytes = value;
            return this;
        }

        public Builder parallelism(int value) {
            this.parallelism = value;
            return this;
        }

        public Builder checkpointInterval(Duration value) {
            this.checkpointInterval = value;
            return this;
        }

        public Builder checkpointDirectory(String value) {
            this.checkpointDirectory = value;
            return this;
        }

        public Builder bounded(boolean value) {
            this.bounded = value;
            return this;
        }

        public Builder dedupeTtl(Duration value) {
            this.dedupeTtl = value;
            return this;
        }

        public Builder taskMix(TaskMix value) {
            this.taskMix = value;
            return this;
        }

        public Builder tools(RecipeBook.Tools value) {
            this.tools = value;
            return this;
        }

        public Builder captionLimits(CaptionLimits value) {
            this.captionLimits = value;
            return this;
        }

        public Builder imageLimits(ImageLimits value) {
            this.imageLimits = value;
            return this;
        }

        public Builder imageStore(ImageStoreSettings value) {
            this.imageStore = value;
            return this;
        }

        public Builder restartDrillAfter(long value) {
            this.restartDrillAfter = value;
            return this;
        }

        public Builder filters(FilterSettings value) {
            this.filters = value;
            return this;
        }

        /** Per-task minimums of the pixel-change filter, over its defaults. */
        public Builder minPixelChange(Map<Task, Double> value) {
            this.filters = filters.withMinPixelChange(Map.copyOf(value));
            return this;
        }

        public Builder schemaRegistryUrl(String value) {
            this.schemaRegistryUrl = value;
            return this;
        }

        public Builder jobVersion(String value) {
            this.jobVersion = value;
            return this;
        }

        public JobConfig build() {
            return new JobConfig(bootstrapServers, kafkaProperties, schemaRegistryUrl, captionsTopic, samplesTopic, rejectionsTopic, groupId, transactionalIdPrefix, transactionTimeout, maxRecordBytes, parallelism, checkpointInterval, checkpointDirectory, bounded, dedupeTtl, taskMix, tools, captionLimits, imageLimits, imageStore, restartDrillAfter, jobVersion, filters, instructions, export);
        }
    }
}
