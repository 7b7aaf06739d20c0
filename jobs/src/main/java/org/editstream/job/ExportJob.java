package org.editstream.job;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.export.TrainingRows;
import org.editstream.flink.ExportSinks;
import org.editstream.schema.EditSample;

import java.util.UUID;

/**
 * A one-off export: the samples topic from its start to its end offsets as of start-up, read with
 * read_committed, into Parquet or WebDataset files. Runs in batch mode, so part files are committed when the
 * input ends.
 */
public final class ExportJob {
    /** The accumulator counting exported samples (for a progress bar). */
    public static final String EXPORTED = "exported";

    public enum Format { PARQUET, WEBDATASET }

    private ExportJob() {
    }

    public static void build(StreamExecutionEnvironment env, JobConfig config, Format format, String out) {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        KafkaSource<EditSample> source = KafkaSource.<EditSample>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.samplesTopic())
                .setGroupId("editstream-export-" + UUID.randomUUID())
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setValueOnlyDeserializer(new AvroValues<>(EditSample.class, config.schemaRegistryUrl(), config.samplesTopic()))
                .setProperty("isolation.level", "read_committed")
                .setProperty("max.partition.fetch.bytes", Integer.toString(config.maxRecordBytes() + 1024 * 1024))
                .setProperties(properties(config))
                .build();
        DataStream<EditSample> samples = env.fromSource(source, WatermarkStrategy.noWatermarks(), "samples from Kafka")
                .map(new Count()).name("count");
        // one writer: files and shards of exactly the size asked, the last of each folder excepted
        if (format == Format.PARQUET) {
            samples.map(TrainingRows::of).name("as training rows").setParallelism(1)
                    .sinkTo(ExportSinks.parquetOnce(out, config.export().sizes())).name("training rows to Parquet").setParallelism(1);
        } else {
            samples.sinkTo(ExportSinks.webDatasetOnce(out, config.export().sizes())).name("samples to WebDataset shards")
                    .setParallelism(1);
        }
    }

    private static java.util.Properties properties(JobConfig config) {
        java.util.Properties p = new java.util.Properties();
        p.putAll(config.kafkaProperties());
        return p;
    }

    private static final class Count extends RichMapFunction<EditSample, EditSample> {
        private static final long serialVersionUID = 1L;
        private transient LongCounter exported;

        @Override
        public void open(OpenContext context) {
            exported = new LongCounter();
            getRuntimeContext().addAccumulator(EXPORTED, exported);
        }

        @Override
        public EditSample map(EditSample sample) {
            exported.add(1);
            return sample;
        }
    }
}
