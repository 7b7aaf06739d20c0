package org.editstream.cli;

import org.editstream.captions.CaptionLimits;
import org.editstream.filters.FilterSettings;
import org.editstream.filters.ScoreThreshold;
import org.editstream.flink.ExportSinks;
import org.editstream.flink.ImageStoreSettings;
import org.editstream.imaging.ImageLimits;
import org.editstream.imaging.ImageUriPolicy;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmSettings;
import org.editstream.job.JobConfig;
import org.editstream.recipes.GenerationBatch;
import org.editstream.recipes.RecipeBook;
import org.editstream.schema.Task;
import org.editstream.tasks.TaskCatalogue;
import org.editstream.tasks.TaskMix;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The job's options, shared by the commands that run it; turned into one {@link JobConfig}. */
public class JobOptions {
    @Option(names = "--captions-topic", defaultValue = "captions", description = "Topic captions are read from (default: ${DEFAULT-VALUE}).")
    String captionsTopic;

    @Option(names = "--samples-topic", defaultValue = "samples", description = "Topic finished samples are written to (default: ${DEFAULT-VALUE}).")
    String samplesTopic;

    @Option(names = "--rejections-topic", defaultValue = "rejections", description = "Topic rejections are written to (default: ${DEFAULT-VALUE}).")
    String rejectionsTopic;

    @Option(names = "--group-id", defaultValue = "editstream", description = "Kafka consumer group of the job (default: ${DEFAULT-VALUE}).")
    String groupId;

    @Option(names = "--transactional-id-prefix", defaultValue = "editstream",
            description = "Prefix of the Kafka sinks' transactional ids; keep it stable across restarts of one job (default: ${DEFAULT-VALUE}).")
    String transactionalIdPrefix;

    @Option(names = "--schema-registry", description = "Confluent schema registry URL: topics then carry its wire format "
            + "(magic byte, schema id, Avro), schemas registered under <topic>-value (default: plain Avro).")
    String schemaRegistry;

    @Option(names = "--kafka-property", description = "Extra Kafka client property, e.g. security.protocol=SSL (repeatable).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Option(names = "--parallelism", defaultValue = "2", description = "Parallelism of every operator (default: ${DEFAULT-VALUE}).")
    int parallelism;

    @Option(names = "--checkpoint-interval", defaultValue = "PT10S",
            description = "Checkpoint interval, ISO-8601 (PT10S); samples become visible to read_committed consumers at each checkpoint (default: ${DEFAULT-VALUE}).")
    Duration checkpointInterval;

    @Option(names = "--checkpoint-dir", description = "Checkpoint storage URI (file:///..., s3://...); Flink's default when absent.")
    String checkpointDir;

    @Option(names = "--from-checkpoint", description = "Where to resume: latest (the newest completed checkpoint of this job, "
            + "by group id and transactional-id prefix, under --checkpoint-dir; the default of run), none, or a checkpoint's path.")
    String fromCheckpoint;

    @Option(names = "--from-savepoint", description = "Resume from this savepoint (an upgrade, or another --parallelism).")
    String fromSavepoint;

    @Option(names = "--task-mix", defaultValue = "uniform",
            description = "Weights of the tasks, e.g. color=2,sketch=1,text=1, or 'uniform' (default: ${DEFAULT-VALUE}). Disabled tasks are never assigned.")
    String taskMix;

    @Option(names = "--models", description = "Folder of model folders: diffusion/ (a Stable Diffusion pipeline in the diffusers layout) "
            + "enables global and style (and with --grounder the region tasks); inpainting/ (an inpainting pipeline, or just its unet/) "
            + "with --grounder and clip/ enables background; clip/ enables the CLIP filters and best-of-N.")
    Path models;

    @Option(names = "--grounder", description = "Class of the object grounder the region and background tasks ground objects with "
            + "(an org.editstream.perception.ObjectGrounder on the class path, given the --models folder).")
    String grounder;

    @Option(names = "--box-threshold", defaultValue = "0.35",
            description = "The built-in grounder's box threshold: a box is an instance when its best token scores above it "
                    + "(default: ${DEFAULT-VALUE}, IDEA-Research's).")
    float boxThreshold;

    @Option(names = "--text-threshold", defaultValue = "0.25",
            description = "The built-in grounder's text threshold: the tokens that name a box's phrase score above it "
                    + "(default: ${DEFAULT-VALUE}, IDEA-Research's).")
    float textThreshold;

    @Option(names = "--detector-check", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Emu Edit's detector check on add, remove and local samples, with the grounder: the added object "
                    + "must be found in the edited image only, the removed one in the input only, the edited one where the "
                    + "mask is and the original not (default: on when there is a grounder; --no-detector-check turns it off).")
    boolean detectorCheck;

    @Option(names = "--generation-batch", defaultValue = "1",
            description = "Attention-controlled pairs per UNet pass, and requests per generation batch, or auto: sized from the "
                    + "device's memory when the generation host starts, with one probe pair (1 on a CPU, where batching loses) "
                    + "(default: ${DEFAULT-VALUE}; raise it on a GPU, lower it if batches split for memory).")
    String generationBatch;

    /** --generation-batch as the tools take it: a count, or {@link GenerationBatch#AUTO}. */
    int generationBatch() {
        if (generationBatch.strip().equalsIgnoreCase("auto")) {
            return GenerationBatch.AUTO;
        }
        try {
            int n = Integer.parseInt(generationBatch.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("--generation-batch takes a count of at least 1 or auto, not " + generationBatch);
    }

    @Option(names = "--region-input", defaultValue = "generated",
            description = "What local, texture and remove edit: 'generated' (an image made from the input caption) or 'given' "
                    + "(the caption's own image when it has one, by DDIM inversion; the edit is blended into it through the mask) "
                    + "(default: ${DEFAULT-VALUE}).")
    RegionInput regionInput;

    /** --mask-area's two values. */
    private double[] maskAreaRange() {
        if (maskArea == null || maskArea.length != 2) {
            throw new IllegalArgumentException("--mask-area takes MIN,MAX, e.g. 0.01,0.9");
        }
        return maskArea;
    }

    /** What the region recipes edit. */
    enum RegionInput { generated, given }

    @Option(names = "--diffusion-steps", defaultValue = "30", description = "DDIM steps of generated pairs (default: ${DEFAULT-VALUE}).")
    int diffusionSteps;

    @Option(names = "--min-pixel-change", description = "Minimum mean pixel change of a task's pairs, e.g. global=0.02 (repeatable; defaults: 0.01, text 0.0005).")
    Map<String, Double> minPixelChange = new LinkedHashMap<>();

    @Option(names = "--clip-min", description = "CLIP minimum of a task, as TASK.METRIC=VALUE with METRIC image, direction or output, "
            + "e.g. global.direction=0.15 (repeatable; defaults: InstructPix2Pix's 0.75 / 0.2 / 0.2 for generated tasks; needs --models DIR/clip).")
    Map<String, Double> clipMinimum = new LinkedHashMap<>();

    @Option(names = "--mask-area", defaultValue = "0.01,0.9", split = ",", arity = "1",
            description = "Mask-area filter: the least and most fraction of the image a region edit's mask may cover, as MIN,MAX "
                    + "(default: ${DEFAULT-VALUE}, UltraEdit's; judges local, remove, add, texture, background and segment).")
    double[] maskArea;

    @Option(names = "--max-structure-l1", description = "Structure filter: the maximum depth-map L1 of a task's pairs, "
            + "e.g. global=0.3 (repeatable; defaults: color 0.1, text 0.1, texture 0.15, global 0.2, style 0.25; needs --models DIR/depth).")
    Map<String, Double> maxStructureL1 = new LinkedHashMap<>();

    @Option(names = "--min-dino", description = "DINO similarity minimum of a task's pairs, e.g. style=0.3 "
            + "(repeatable; default: UltraEdit's 0.4 for generated tasks; needs --models DIR/dino).")
    Map<String, Double> minDino = new LinkedHashMap<>();

    @Option(names = "--min-task-lead", defaultValue = "0.1",
            description = "Task check: a sample whose instruction's predicted task leads its own by this much is relabelled "
                    + "(same kind of pair) or rejected with TASK_MISMATCH (default: ${DEFAULT-VALUE}).")
    double minTaskLead;

    @Option(names = "--tessdata", description = "Folder holding Tesseract's eng.traineddata (default: TESSDATA_PREFIX or the system folders).")
    Path tessdata;

    @Option(names = "--image-root", description = "Folder under which file:// image URIs may be read (repeatable; default: the working folder).")
    List<Path> imageRoots = new ArrayList<>();

    @Option(names = "--image-prefix", description = "URI prefix under which object-store images may be read, e.g. s3://bucket/images/ (repeatable).")
    List<String> imagePrefixes = new ArrayList<>();

    @Option(names = "--allow-http-images", description = "Allow http(s) image URIs (never to loopback, link-local or private addresses unless allowlisted).")
    boolean allowHttpImages;

    @Option(names = "--http-image-host", description = "Host that http(s) images may be fetched from even if it resolves to a private address (repeatable).")
    List<String> httpHosts = new ArrayList<>();

    @Option(names = "--image-store", description = "Folder URI where images too large to ship inline are stored by content hash (file:///..., s3://...).")
    String imageStore;

    @Option(names = "--max-side", defaultValue = "512", description = "Working size: longest image side after decoding (default: ${DEFAULT-VALUE}).")
    int maxSide;

    @Option(names = "--max-pixels", defaultValue = "40000000", description = "Images with more pixels are refused from their header (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--max-image-bytes", defaultValue = "33554432", description = "Encoded images larger than this are refused (default: ${DEFAULT-VALUE}).")
    int maxImageBytes;

    @Option(names = "--max-caption-chars", defaultValue = "1000", description = "Longer captions are rejected (default: ${DEFAULT-VALUE}).")
    int maxCaptionChars;

    @Option(names = "--max-record-bytes", defaultValue = "8388608",
            description = "Largest sample record; larger samples move their images to --image-store or are rejected (default: ${DEFAULT-VALUE}).")
    int maxRecordBytes;

    @Option(names = "--dedupe-ttl", defaultValue = "P7D", description = "How long a caption id is remembered for deduplication, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration dedupeTtl;

    @Option(names = "--llm-url", description = "OpenAI-compatible chat server (vLLM, llama.cpp server, Ollama, TGI, hosted): "
            + "its task agents write the instructions of every task they can; without it templates write them and the "
            + "tasks that need an LLM stay disabled.")
    String llmUrl;

    @Option(names = "--llm-model", defaultValue = "default", description = "Model name sent to the chat server and kept in each sample's lineage (default: ${DEFAULT-VALUE}).")
    String llmModel;

    @Option(names = "--llm-api-key-env", defaultValue = LlmSettings.DEFAULT_API_KEY_ENV,
            description = "Environment variable holding the chat server's API key (default: ${DEFAULT-VALUE}); never logged.")
    String llmApiKeyEnv;

    @Option(names = "--llm-api-key-file", description = "File holding the chat server's API key, read when the variable is unset.")
    Path llmApiKeyFile;

    @Option(names = "--llm-temperature", defaultValue = "0.7", description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    double llmTemperature;

    @Option(names = "--llm-max-tokens", defaultValue = "512", description = "Most tokens per reply (default: ${DEFAULT-VALUE}).")
    int llmMaxTokens;

    @Option(names = "--llm-json-mode", defaultValue = "AUTO",
            description = "Ask for response_format json_object: AUTO (until the server refuses it), ON, OFF (default: ${DEFAULT-VALUE}).")
    LlmSettings.JsonMode llmJsonMode;

    @Option(names = "--llm-timeout", defaultValue = "PT60S", description = "Timeout of one HTTP attempt, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration llmTimeout;

    @Option(names = "--llm-attempts", defaultValue = "4", description = "Attempts per request; retried on 429, 5xx, timeouts, connection errors (default: ${DEFAULT-VALUE}).")
    int llmAttempts;

    @Option(names = "--llm-concurrency", defaultValue = "32", description = "Requests in flight to the chat server per TaskManager (default: ${DEFAULT-VALUE}).")
    int llmConcurrency;

    @Option(names = "--template-tasks", split = ",",
            description = "Tasks that keep template instructions even with --llm-url, e.g. detect,segment,global.")
    List<String> templateTasks = new ArrayList<>();

    @Option(names = "--export-parquet", description = "Also write kept samples as Parquet under this folder URI "
            + "(file:///..., s3://...), partitioned task=/date=, committed on checkpoints.")
    String exportParquet;

    @Option(names = "--export-webdataset", description = "Also write kept samples as WebDataset tar shards under this folder URI.")
    String exportWebDataset;

    @picocli.CommandLine.Mixin
    FileSizeOptions fileSizes = new FileSizeOptions();

    @Option(names = "--restart-drill-after", defaultValue = "0",
            description = "Fail the job once after this many samples per subtask, to watch recovery from a checkpoint (0: off).")
    long restartDrillAfter;

    JobConfig.Builder toBuilder(String bootstrapServers) {
        ImageLimits limits = new ImageLimits(maxPixels, maxImageBytes, maxSide);
        List<Path> roots = imageRoots.isEmpty() ? List.of(Path.of(".").toAbsolutePath()) : imageRoots;
        ImageUriPolicy policy = new ImageUriPolicy(roots.stream().map(p -> p.toAbsolutePath().toString()).toList(),
                imagePrefixes, allowHttpImages, Set.copyOf(httpHosts));
        return JobConfig.builder(bootstrapServers)
                .kafkaProperties(Map.copyOf(kafkaProperties))
                .schemaRegistryUrl(schemaRegistry)
                .filters(FilterSettings.defaults().withMinPixelChange(tasksOf(minPixelChange, "--min-pixel-change"))
                        .withClipMinimum(clipMinimums(clipMinimum)).withMinTaskLead(minTaskLead)
                        .withMaxStructureL1(tasksOf(maxStructureL1, "--max-structure-l1"))
                        .withMinDinoSimilarity(tasksOf(minDino, "--min-dino")).withMaskArea(maskAreaRange()[0], maskAreaRange()[1])
                        .withDetectorCheck(detectorCheck))
                .captionsTopic(captionsTopic).samplesTopic(samplesTopic).rejectionsTopic(rejectionsTopic)
                .groupId(groupId).transactionalIdPrefix(transactionalIdPrefix)
                .parallelism(parallelism).checkpointInterval(checkpointInterval).checkpointDirectory(checkpointDir)
                .taskMix(TaskMix.parse(taskMix))
                .tools(new RecipeBook.Tools(tessdata == null ? null : tessdata.toAbsolutePath().toString(),
                        models == null ? null : models.toAbsolutePath().toString(), diffusionSteps, grounder,
                        generationBatch(), regionInput == RegionInput.given, boxThreshold, textThreshold))
                .captionLimits(new CaptionLimits(maxCaptionChars))
                .imageLimits(limits)
                .imageStore(new ImageStoreSettings(policy, maxImageBytes, imageStore, Duration.ofSeconds(10)))
                .maxRecordBytes(maxRecordBytes)
                .dedupeTtl(dedupeTtl)
                .restartDrillAfter(restartDrillAfter)
                .instructions(InstructionRouting.decide(llmSettings(), tasksOf(templateTasks)))
                .export(new JobConfig.Export(folderUri(exportParquet), folderUri(exportWebDataset),
                        fileSizes.sizes()));
    }

    /** A folder URI as Flink's file systems want it; plain paths become absolute file: URIs. */
    static String folderUri(String folder) {
        if (folder == null) {
            return null;
        }
        return folder.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") ? folder : Path.of(folder).toAbsolutePath().toUri().toString();
    }

    private LlmSettings llmSettings() {
        if (llmUrl == null) {
            return null;
        }
        LlmSettings defaults = LlmSettings.of(llmUrl, llmModel);
        return defaults
                .withApiKey(llmApiKeyEnv, llmApiKeyFile == null ? null : llmApiKeyFile.toAbsolutePath().toString())
                .withGeneration(llmTemperature, llmMaxTokens, llmJsonMode)
                .withTimeout(llmTimeout)
                .withRetries(llmAttempts, defaults.backoffBase(), defaults.backoffMax())
                .withConcurrency(llmConcurrency);
    }

    private static Set<Task> tasksOf(List<String> names) {
        Set<Task> out = EnumSet.noneOf(Task.class);
        for (String name : names) {
            out.add(TaskCatalogue.byName(name).orElseThrow(() -> new IllegalArgumentException("--template-tasks names no task '" + name + "'")));
        }
        return out;
    }

    private static Map<ScoreThreshold.Metric, Map<Task, Double>> clipMinimums(Map<String, Double> byKey) {
        Map<ScoreThreshold.Metric, Map<Task, Double>> out = new EnumMap<>(ScoreThreshold.Metric.class);
        byKey.forEach((key, value) -> {
            String[] parts = key.split("\\.", 2);
            Task task = TaskCatalogue.byName(parts[0]).orElseThrow(() -> new IllegalArgumentException(
                    "--clip-min " + key + ": no task '" + parts[0] + "'"));
            ScoreThreshold.Metric metric = parts.length < 2 ? null : switch (parts[1].strip().toLowerCase(java.util.Locale.ROOT)) {
                case "image" -> ScoreThreshold.Metric.CLIP_IMAGE;
                case "direction" -> ScoreThreshold.Metric.CLIP_DIRECTION;
                case "output" -> ScoreThreshold.Metric.CLIP_OUTPUT;
                default -> null;
            };
            if (metric == null) {
                throw new IllegalArgumentException("--clip-min " + key + ": write TASK.image, TASK.direction or TASK.output");
            }
            out.computeIfAbsent(metric, m -> new EnumMap<>(Task.class)).put(task, value);
        });
        return out;
    }

    private static Map<Task, Double> tasksOf(Map<String, Double> byName, String option) {
        Map<Task, Double> out = new EnumMap<>(Task.class);
        byName.forEach((name, value) -> out.put(TaskCatalogue.byName(name).orElseThrow(() ->
                new IllegalArgumentException(option + " names no task '" + name + "'")), value));
        return out;
    }
}
