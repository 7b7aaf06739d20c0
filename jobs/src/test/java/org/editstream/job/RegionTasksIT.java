package org.editstream.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.filters.FilterSettings;
import org.editstream.filters.ScoreThreshold;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmSettings;
import org.editstream.instruct.ScriptedChatServer;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.recipes.BackgroundRecipe;
import org.editstream.recipes.GenerationHost;
import org.editstream.recipes.GlobalRecipe;
import org.editstream.recipes.RecipeBook;
import org.editstream.recipes.RegionRecipe;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The region tasks (local, remove, add, texture) and background through the real job: instructions from a
 * scripted LLM, objects grounded by a grounder the deployment names by class, pairs under mask-based attention
 * control (or inpainting) on the tiny fixture models, best of the candidates by the tiny CLIP, global pairs
 * batched two to a UNet pass, a local edit of the caption's own image. Every caption leaves exactly once; an object the grounder cannot find is a
 * rejection with its reason.
 */
class RegionTasksIT {
    /** A caption, its task and the scripted LLM's reply for it. */
    record Case(String id, Task task, String caption, String reply) {
    }

    /** The first four are local, remove, add and texture, in that order (GroundedTasksIT takes them too). */
    static final List<Case> CASES = List.of(
            new Case("r-local", Task.LOCAL, "a photo of a brown dog on a green lawn",
                    "{\"instruction\": \"Turn the dog into a cat\", \"output_caption\": \"a photo of a brown cat on a green lawn\", "
                            + "\"original_object\": \"brown dog\", \"edited_object\": \"brown cat\"}"),
            new Case("r-remove", Task.REMOVE, "a photo of a black dog beside a bench",
                    "{\"instruction\": \"Remove the dog\", \"output_caption\": \"a photo of a bench\", "
                            + "\"original_object\": \"black dog\"}"),
            new Case("r-add", Task.ADD, "a photo of a green lawn",
                    "{\"instruction\": \"Add a red ball\", \"output_caption\": \"a photo of a red ball on a green lawn\", "
                            + "\"edited_object\": \"red ball\"}"),
            new Case("r-texture", Task.TEXTURE, "a wooden chair in an empty room",
                    "{\"instruction\": \"Make the chair metal\", \"output_caption\": \"a metal chair in an empty room\", "
                            + "\"original_object\": \"wooden chair\", \"edited_object\": \"metal chair\"}"),
            new Case("r-background", Task.BACKGROUND, "a photo of a white cat on a sofa",
                    "{\"instruction\": \"Change the background to a beach\", \"output_caption\": \"a photo of a white cat on a beach\", "
                            + "\"original_object\": \"white cat\", \"edited_object\": \"beach\"}"),
            new Case("r-unicorn", Task.LOCAL, "a photo of a unicorn in a field",
                    "{\"instruction\": \"Turn the unicorn into a horse\", \"output_caption\": \"a photo of a horse in a field\", "
                            + "\"original_object\": \"unicorn\", \"edited_object\": \"horse\"}"),
            new Case("g-0", Task.GLOBAL, "a photo of a harbour with red boats",
                    "{\"instruction\": \"Make it snowy\", \"output_caption\": \"a photo of a harbour with red boats in the snow\"}"),
            new Case("g-1", Task.GLOBAL, "a photo of a mountain village",
                    "{\"instruction\": \"Make it night\", \"output_caption\": \"a photo of a mountain village at night\"}"));

    @Test
    void regionAndBackgroundEditsAreMadeFromGroundedObjects(@TempDir Path models, @TempDir Path checkpoints) throws Exception {
        Path fixtures = org.editstream.models.Fixtures.path("sd-tiny").getParent(); // skipped when absent, a failure in CI
        Files.createSymbolicLink(models.resolve("diffusion"), fixtures.resolve("sd-tiny").toAbsolutePath());
        // the inpainting UNet alone: text encoder and VAE come from diffusion/
        Files.createSymbolicLink(models.resolve("inpainting"), fixtures.resolve("sd-tiny-inpaint").toAbsolutePath());
        Files.createSymbolicLink(models.resolve("clip"), fixtures.resolve("clip-tiny").toAbsolutePath());

        Map<String, String> replies = new java.util.HashMap<>();
        CASES.forEach(c -> replies.put(c.caption(), c.reply()));
        try (ScriptedChatServer server = new ScriptedChatServer(request -> {
            String user = request.lastUserContent();
            String reply = replies.get(user);
            // the object-name prompt: the names here have nothing to strip
            return ScriptedChatServer.reply(reply != null ? reply : "{\"object\": \"" + user + "\"}");
        }); EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            LlmSettings llm = LlmSettings.of(server.baseUrl(), "scripted-llm").withApiKey(null, null)
                    .withTimeout(Duration.ofSeconds(5));
            Map<Task, Double> anyScore = new EnumMap<>(Task.class);
            Map<Task, Double> anyChange = new EnumMap<>(Task.class);
            for (Case c : CASES) {
                anyScore.put(c.task(), -1.0);
                anyChange.put(c.task(), 0.0);
            }
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("region").transactionalIdPrefix("region").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1"))
                    .tools(new RecipeBook.Tools(null, models.toString(), 2, CentreGrounder.class.getName(), 2, true))
                    // the tiny models make noise: every score passes and no task is relabelled, so the test sees what is made
                    // (the centre grounder finds every object in every image: the detector check, GroundedTasksIT's, is off)
                    .filters(FilterSettings.defaults().withMinPixelChange(anyChange).withMinTaskLead(10).withClipMinimum(Map.of(
                            ScoreThreshold.Metric.CLIP_IMAGE, anyScore, ScoreThreshold.Metric.CLIP_DIRECTION, anyScore,
                            ScoreThreshold.Metric.CLIP_OUTPUT, anyScore)).withDetectorCheck(false))
                    .instructions(InstructionRouting.decide(llm, Set.of()))
                    .build();
            EnabledTasks enabled = EditStreamJob.enabledTasks(config);
            for (Task task : List.of(Task.LOCAL, Task.REMOVE, Task.ADD, Task.TEXTURE, Task.BACKGROUND, Task.GLOBAL)) {
                assertThat(enabled.isEnabled(task)).as(task + ": " + enabled.disabled().get(task)).isTrue();
            }
            KafkaTopics.ensure(config, 2, (short) 1);
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (Case c : CASES) {
                    CaptionEvent.Builder event = CaptionEvent.newBuilder().setId(c.id()).setCaption(c.caption())
                            .setTaskHint(c.task().name().toLowerCase());
                    if (c.task() == Task.BACKGROUND || c.id().equals("r-local")) {
                        // the caption's own image: the background repaints it; local edits it (--region-input given)
                        event.setImage(TestImages.sceneCaption("unused", 5).getImage());
                    }
                    producer.send(event.build());
                }
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, enabled);
            env.executeAsync("editstream-region").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            JobOutputs outputs = JobOutputs.read(config, CASES.size());
            assertThat(outputs.timesSeen()).hasSize(CASES.size());
            assertThat(outputs.timesSeen().values()).allMatch(count -> count == 1);
            Map<String, EditSample> samples = outputs.samples();
            Map<String, Rejection> rejections = outputs.rejections();

            for (Case c : CASES.subList(0, 4)) {
                EditSample s = samples.get(c.id());
                assertThat(s).as(c.id() + " should be a sample; rejected: " + rejections.get(c.id())).isNotNull();
                assertThat(s.getTask()).isEqualTo(c.task());
                assertThat(s.getGeneration().getRecipe()).isEqualTo(RegionRecipe.NAME);
                String grounded = c.task() == Task.ADD ? s.getEditedObject() : s.getOriginalObject();
                assertThat(s.getGeneration().getParameters())
                        .containsEntry("grounded", grounded)
                        .containsEntry("candidates", Integer.toString(RegionRecipe.CANDIDATES)) // CLIP chooses among them
                        .containsEntry("steps", "2")
                        .containsKeys("mask", "cross_fraction", "self_fraction", "blend_from", "guidance", "attention_edits");
                assertThat(s.getGeneration().getModelIds()).anyMatch(id -> id.startsWith("centre-grounder"));
                assertThat(s.getMask()).as(c.id() + " records its mask").isNotNull();
                assertThat(s.getScores().getClipOutput()).isNotNull();
                // r-local came with its own image and edits it through its inversion; the others generate theirs
                assertThat(s.getGeneration().getParameters())
                        .containsEntry("input", c.id().equals("r-local") ? "given" : "generated");
            }
            EditSample background = samples.get("r-background");
            assertThat(background).as("background sample; rejected: " + rejections.get("r-background")).isNotNull();
            assertThat(background.getGeneration().getRecipe()).isEqualTo(BackgroundRecipe.NAME);
            assertThat(background.getGeneration().getParameters()).containsEntry("input", "given")
                    .containsEntry("mask", "BACKGROUND").containsEntry("grounded", "white cat");
            for (String id : List.of("g-0", "g-1")) {
                assertThat(samples.get(id)).as(id + "; rejected: " + rejections.get(id)).isNotNull();
                assertThat(samples.get(id).getGeneration().getRecipe()).isEqualTo(GlobalRecipe.NAME);
            }

            Rejection unicorn = rejections.get("r-unicorn");
            assertThat(unicorn).as("the ungroundable object is rejected; sample: " + samples.get("r-unicorn")).isNotNull();
            assertThat(unicorn.getReason()).isEqualTo(Reason.OBJECT_NOT_FOUND);
            assertThat(unicorn.getStage()).isEqualTo(Stage.GENERATE);
            assertThat(unicorn.getDetail()).contains("did not find \"unicorn\"").contains("best score");

            // the MiniCluster runs in this JVM: the host it used is this one, and it ran every generated request
            var stats = GenerationHost.of(config.tools().generation()).stats();
            assertThat(stats.requests()).isEqualTo(CASES.size());
            assertThat(stats.queued()).isZero();
        }
    }
}
