package org.editstream.job;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.TransactionNamingStrategy;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.editstream.captions.CaptionValidator;
import org.editstream.filters.FilterChain;
import org.editstream.flink.AssignTasks;
import org.editstream.flink.DecodeCaptions;
import org.editstream.flink.DedupeCaptions;
import org.editstream.export.TrainingRows;
import org.editstream.flink.ExportSinks;
import org.editstream.flink.FilterSamples;
import org.editstream.flink.GeneratePairs;
import org.editstream.flink.KafkaRecord;
import org.editstream.flink.KafkaRecordDeserializer;
import org.editstream.flink.MakePairs;
import org.editstream.flink.Rejected;
import org.editstream.flink.RestartDrill;
import org.editstream.flink.ScoreSamples;
import org.editstream.flink.SplitOutcomes;
import org.editstream.flink.ValidateCaptions;
import org.editstream.flink.WriteInstructions;
import org.editstream.imaging.ImageDecoder;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmSettings;
import org.editstream.perception.DetectorCheck;
import org.editstream.perception.ScoringHost;
import org.editstream.recipes.GenerationBatch;
import org.editstream.recipes.GrounderSpec;
import org.editstream.recipes.ModelsFolder;
import org.editstream.recipes.RecipeBook;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditRequest;
import org.editstream.schema.EditSample;
import org.editstream.schema.Rejection;
import org.editstream.tasks.Capability;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskAssigner;
import org.editstream.tasks.TaskCatalogue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The EditStream job, top to bottom as DESIGN.md draws it:
 * captions -> decode -> validate -> dedupe -> assign task -> write instruction -> make pair -> filter
 * -> samples, with every stage's rejections unioned into the rejections topic.
 */
public final class EditStreamJob {
    /** A generated pair may wait behind others on its device; past this it is rejected, not lost. */
    static final long GENERATION_TIMEOUT_MINUTES = 30;
    /** Requests in flight per generation operator instance (the device's queue holds them), at least two batches. */
    static final int GENERATION_CAPACITY = 8;
    /** Scoring waits behind other samples on the model host; past this the sample is rejected, not lost. */
    static final long SCORING_TIMEOUT_MINUTES = 10;
    /** Samples in flight per scoring operator instance: enough to fill the host's batches. */
    static final int SCORING_CAPACITY = 32;
    /** Instructions in flight per instruction operator instance without an LLM (templates complete at once). */
    static final int INSTRUCT_CAPACITY = 16;

    /**
     * The sinks' transactional ids come from a pool kept in their state, and lingering transactions are found with
     * the broker's transaction listing. With the default (incrementing ids per checkpoint), a process killed and
     * restored from its latest checkpoint logged "Unable to commit transaction ... because its producer is already
     * fenced" for that checkpoint's transactions (ProcessCrashIT, README).
     */
    static final TransactionNamingStrategy TRANSACTION_NAMING = TransactionNamingStrategy.POOLING;

    private EditStreamJob() {
    }

    /** Decides, once at start-up, which tasks this deployment can make (the rest say why not). */
    public static EnabledTasks enabledTasks(JobConfig config) {
        Set<Capability> found = EnumSet.noneOf(Capability.class);
        found.addAll(RecipeBook.capabilities(config.tools()));
        if (config.instructions().llm() != null) {
            found.add(Capability.LLM);
        }
        return EnabledTasks.decide(found, RecipeBook.TASKS_WITH_RECIPE);
    }

    /** What the job will and will not do, for the start-up lines of every command that runs it. */
    public static List<String> startupLines(JobConfig config, EnabledTasks enabled) {
        List<String> lines = new ArrayList<>();
        enabled.disabled().forEach((task, why) -> lines.add("Task " + TaskCatalogue.nameOf(task) + " disabled: " + why));
        InstructionRouting routing = config.instructions();
        lines.add(routing.llm() == null ? "Instructions: templates (no --llm-url)"
                : "Instructions: LLM agents at " + routing.llm().endpoint() + " (" + routing.llm().model() + ") for "
                + String.join(", ", routing.byLlm().stream().map(TaskCatalogue::nameOf).toList()) + "; templates for the rest");
        ModelsFolder models = config.tools().modelsFolder();
        lines.add(models.describe());
        lines.add(config.tools().clipFolder() == null ? "CLIP filters off: needs " + Capability.CLIP.description()
                : "CLIP filters on: " + config.tools().clipFolder());
        lines.add(models.has(ModelsFolder.Family.DINO) ? "DINO similarity on: " + models.folderOf(ModelsFolder.Family.DINO)
                : "DINO similarity off: needs a DINOv2 model (--models DIR/dino)");
        lines.add(models.has(ModelsFolder.Family.DEPTH) ? "Structure filter on: " + models.folderOf(ModelsFolder.Family.DEPTH)
                + ", maximum depth L1 " + config.filters().structureLimits()
                : "Structure filter off: needs " + Capability.DEPTH.description());
        if (enabled.enabled().stream().anyMatch(RecipeBook.GENERATED::contains)) {
            RecipeBook.Tools tools = config.tools();
            lines.add("Generation: " + tools.diffusionSteps() + " DDIM steps, " + GenerationBatch.describe(tools.generationBatch())
                    + " pair(s) per UNet pass" + (tools.grounding() == null ? "" : ", objects grounded by " + tools.grounding().describe()));
        }
        GrounderSpec detector = detectorGrounder(config, enabled);
        lines.add(detector != null ? "Detector check on for add, remove and local: " + detector.describe()
                : "Detector check off: " + (!config.filters().detectorCheck() ? "--no-detector-check"
                : config.tools().grounding() == null ? "needs " + Capability.GROUNDING.description()
                : "no add, remove or local task is enabled"));
        lines.add("Task check: all-MiniLM-L6-v2 task predictor, relabel or reject at a lead of " + config.filters().minTaskLead());
        return lines;
    }

    /**
     * How long one instruction may take in the async operator: both agent calls with every attempt and the
     * longest backoffs, plus a minute of queueing behind the TaskManager's concurrency limit.
     */
    static Duration instructionTimeout(InstructionRouting routing) {
        if (routing.llm() == null) {
            return Duration.ofMinutes(1);
        }
        LlmSettings llm = routing.llm();
        Duration oneCall = llm.timeout().multipliedBy(llm.maxAttempts()).plus(llm.backoffMax().multipliedBy(llm.maxAttempts() - 1));
        return oneCall.multipliedBy(2).plus(Duration.ofMinutes(1));
    }

    public static void build(StreamExecutionEnvironment env, JobConfig config, EnabledTasks enabled) {
        ImageDecoder decoder = new ImageDecoder(config.imageLimits());
        CaptionValidator validator = new CaptionValidator(config.captionLimits(), decoder, config.imageStore().policy());
        TaskAssigner assigner = new TaskAssigner(enabled, config.taskMix());
        Path clip = config.tools().clipFolder();
        ScoringHost.Models scoringModels = scoringModels(config);
        GrounderSpec detector = detectorGrounder(config, enabled);
        FilterChain filters = config.filters().chain(clip != null, scoringModels.dino() != null, scoringModels.depth() != null,
                detector != null, RecipeBook.GENERATED);

        DataStream<KafkaRecord> raw = env
                .fromSource(captionSource(config), WatermarkStrategy.noWatermarks(), "captions from Kafka")
                .uid("captions-source");
        SingleOutputStreamOperator<CaptionEvent> decoded = raw
                .process(new DecodeCaptions(config.schemaRegistryUrl(), config.captionsTopic())).uid("decode").name("decode captions");
        SingleOutputStreamOperator<CaptionEvent> valid = decoded
                .process(new ValidateCaptions(validator)).uid("validate").name("validate captions");
        SingleOutputStreamOperator<CaptionEvent> unique = valid
                .keyBy(captionId())
                .process(new DedupeCaptions(config.dedupeTtl())).uid("dedupe").name("dedupe by caption id");
        SingleOutputStreamOperator<EditRequest> assigned = unique
                .process(new AssignTasks(enabled, assigner)).uid("assign").name("assign task");
        InstructionRouting routing = config.instructions();
        int instructCapacity = routing.llm() == null ? INSTRUCT_CAPACITY : Math.max(INSTRUCT_CAPACITY, routing.llm().concurrency());
        SingleOutputStreamOperator<EditRequest> instructed = AsyncDataStream.unorderedWait(assigned, new WriteInstructions(routing),
                        instructionTimeout(routing).toMillis(), TimeUnit.MILLISECONDS, instructCapacity)
                .uid("instruct").name(routing.llm() == null ? "write instruction (templates)" : "write instruction (LLM agents)")
                .process(new SplitOutcomes<>(EditRequest.class)).uid("instruct-split").name("instructions");
        SingleOutputStreamOperator<EditSample> made = instructed
                .filter(request -> !RecipeBook.GENERATED.contains(request.getTask())).uid("route-recipes").name("tasks with recipes")
                .process(new MakePairs(config.tools(), enabled.enabled(), decoder, config.imageStore(), config.jobVersion()))
                .uid("generate").name("make pair");
        SingleOutputStreamOperator<EditSample> generated = null;
        if (enabled.enabled().stream().anyMatch(RecipeBook.GENERATED::contains)) {
            DataStream<EditRequest> toGenerate = instructed
                    .filter(request -> RecipeBook.GENERATED.contains(request.getTask())).uid("route-diffusion")
                    .name("tasks a diffusion model generates");
            generated = AsyncDataStream.unorderedWait(toGenerate, new GeneratePairs(config.tools(), config.jobVersion(), decoder, config.imageStore()),
                            GENERATION_TIMEOUT_MINUTES, TimeUnit.MINUTES,
                            Math.max(GENERATION_CAPACITY, 2 * (config.tools().generationBatch() == GenerationBatch.AUTO
                                    ? GenerationBatch.MAX : config.tools().generationBatch())))
                    .uid("generate-diffusion").name("generate pair (diffusion)")
                    .process(new SplitOutcomes<>(EditSample.class)).uid("generated-split").name("generated samples");
        }
        DataStream<EditSample> pairs = generated == null ? made : made.union(generated);
        DataStream<EditSample> drilled = config.restartDrillAfter() > 0
                ? pairs.map(new RestartDrill<EditSample>(config.restartDrillAfter())).uid("restart-drill").name("restart drill")
                : pairs;
        SingleOutputStreamOperator<EditSample> scored = AsyncDataStream.unorderedWait(drilled, new ScoreSamples(scoringModels, config.filters().structureTasks(), decoder, detector),
                        SCORING_TIMEOUT_MINUTES, TimeUnit.MINUTES, SCORING_CAPACITY)
                .uid("score").name(scoringName(scoringModels, detector != null))
                .process(new SplitOutcomes<>(EditSample.class)).uid("score-split").name("scored samples");
        SingleOutputStreamOperator<EditSample> kept = scored
                .process(new FilterSamples(config.filters().taskCheck(), filters, config.maxRecordBytes(), config.imageStore()))
                .uid("filter").name("filter samples");

        kept.sinkTo(samplesSink(config)).uid("samples-sink").name("samples to Kafka");
        if (config.export().parquet() != null) {
            kept.map(TrainingRows::of).uid("training-rows").name("as training rows")
                    .sinkTo(ExportSinks.parquet(config.export().parquet(), config.export().sizes(), config.checkpointInterval()))
                    .uid("parquet-rows-sink").name("training rows to Parquet");
        }
        if (config.export().webDataset() != null) {
            kept.sinkTo(ExportSinks.webDataset(config.export().webDataset(), config.export().sizes(), config.checkpointInterval()))
                    .uid("webdataset-shards-sink").name("samples to WebDataset shards");
        }
        DataStream<Rejection> rejections = decoded.getSideOutput(Rejected.TAG)
                .union(valid.getSideOutput(Rejected.TAG), unique.getSideOutput(Rejected.TAG),
                        assigned.getSideOutput(Rejected.TAG), instructed.getSideOutput(Rejected.TAG),
                        made.getSideOutput(Rejected.TAG), scored.getSideOutput(Rejected.TAG), kept.getSideOutput(Rejected.TAG));
        if (generated != null) {
            rejections = rejections.union(generated.getSideOutput(Rejected.TAG));
        }
        rejections
                .sinkTo(rejectionsSink(config)).uid("rejections-sink").name("rejections to Kafka");
    }

    private static String scoringName(ScoringHost.Models models, boolean detectorCheck) {
        List<String> names = new ArrayList<>();
        if (models.clip() != null) {
            names.add("CLIP");
        }
        if (models.dino() != null) {
            names.add("DINO");
        }
        if (models.depth() != null) {
            names.add("depth");
        }
        if (detectorCheck) {
            names.add("detector check");
        }
        names.add("task predictor");
        return "score samples (" + String.join(", ", names) + ")";
    }

    /**
     * The grounder the scoring stage runs the detector check with: the deployment's, when the check is on and a task
     * it judges is enabled; else null.
     */
    static GrounderSpec detectorGrounder(JobConfig config, EnabledTasks enabled) {
        GrounderSpec grounder = config.tools().grounding();
        boolean judged = enabled.enabled().stream().anyMatch(DetectorCheck.JUDGED::contains);
        return judged && config.filters().detectorCheckWith(grounder != null) ? grounder : null;
    }

    /** The folders of the models the scoring stage loads. */
    static ScoringHost.Models scoringModels(JobConfig config) {
        ModelsFolder models = config.tools().modelsFolder();
        return new ScoringHost.Models(models.folderOf(ModelsFolder.Family.CLIP), models.folderOf(ModelsFolder.Family.DEPTH),
                models.folderOf(ModelsFolder.Family.DINO));
    }

    private static KeySelector<CaptionEvent, String> captionId() {
        return CaptionEvent::getId;
    }

    static KafkaSource<KafkaRecord> captionSource(JobConfig config) {
        KafkaSourceBuilder<KafkaRecord> source = KafkaSource.<KafkaRecord>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setTopics(config.captionsTopic())
                .setGroupId(config.groupId())
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setDeserializer(new KafkaRecordDeserializer())
                .setProperty("isolation.level", "read_committed")
                .setProperty("max.partition.fetch.bytes", Integer.toString(config.maxRecordBytes() + 1024 * 1024))
                .setProperty("fetch.max.bytes", Integer.toString(4 * config.maxRecordBytes()));
        config.kafkaProperties().forEach(source::setProperty);
        if (config.bounded()) {
            source.setBounded(OffsetsInitializer.latest());
        } else {
            source.setProperty("partition.discovery.interval.ms", "60000");
        }
        return source.build();
    }

    static KafkaSink<EditSample> samplesSink(JobConfig config) {
        return KafkaSink.<EditSample>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setKafkaProducerConfig(KafkaTopics.producerProperties(config))
                .setRecordSerializer(KafkaRecordSerializationSchema.<EditSample>builder()
                        .setTopic(config.samplesTopic())
                        .setKeySerializationSchema(sample -> sample.getSampleId().getBytes(StandardCharsets.UTF_8))
                        .setValueSerializationSchema(new AvroValues<>(EditSample.class, config.schemaRegistryUrl(), config.samplesTopic()))
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-samples")
                .setTransactionNamingStrategy(TRANSACTION_NAMING)
                .build();
    }

    static KafkaSink<Rejection> rejectionsSink(JobConfig config) {
        return KafkaSink.<Rejection>builder()
                .setBootstrapServers(config.bootstrapServers())
                .setKafkaProducerConfig(KafkaTopics.producerProperties(config))
                .setRecordSerializer(KafkaRecordSerializationSchema.<Rejection>builder()
                        .setTopic(config.rejectionsTopic())
                        .setKeySerializationSchema(r -> r.getCaptionId().getBytes(StandardCharsets.UTF_8))
                        .setValueSerializationSchema(new AvroValues<>(Rejection.class, config.schemaRegistryUrl(), config.rejectionsTopic()))
                        .build())
                .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                .setTransactionalIdPrefix(config.transactionalIdPrefix() + "-rejections")
                .setTransactionNamingStrategy(TRANSACTION_NAMING)
                .build();
    }
}
