package org.editstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.instruct.Agents;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmSettings;
import org.editstream.instruct.ScriptedChatServer;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.recipes.RecipeBook;
import org.editstream.recipes.StyleRecipe;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.Reason;
import org.editstream.schema.Rejection;
import org.editstream.schema.Task;
import org.editstream.tasks.TaskMix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job with its instructions written by the LLM agents over a local server that plays a chat-completions
 * server and its failure modes, across a restart: every caption leaves exactly once, as a sample (whose lineage
 * names the model and the prompts' version) or as a rejection with the reason its failure deserves, and a
 * re-issued request sends the same prompt.
 */
class InstructionAgentsIT {
    private static final String MODEL = "scripted-llm";

    /** Caption keyword -> the reason its rejection must carry (null: it must become a sample). */
    private static final Map<String, Reason> CASES = new java.util.LinkedHashMap<>();

    static {
        CASES.put("good", null);
        CASES.put("fenced", null);
        CASES.put("flaky", null);     // 429 with Retry-After, then a good reply
        CASES.put("dropped", null);   // connection closed without a reply, then a good reply
        CASES.put("missing", Reason.LLM_MISSING_KEYS);
        CASES.put("prose", Reason.LLM_INVALID_JSON);
        CASES.put("rambling", Reason.LLM_REPLY_TOO_LONG);
        CASES.put("echo", Reason.LLM_INVALID_FIELD);
        CASES.put("broken", Reason.LLM_HTTP_ERROR);
        CASES.put("hanging", Reason.LLM_TIMEOUT);
    }

    @Test
    void everyCaptionLeavesOnceAsASampleOrWithItsLlmReason(@TempDir Path models, @TempDir Path checkpoints) throws Exception {
        Path tiny = org.editstream.models.Fixtures.path("sd-tiny"); // skipped when absent, a failure in CI
        Files.createSymbolicLink(models.resolve("diffusion"), tiny.toAbsolutePath());

        Map<String, Integer> callsPerCaption = new ConcurrentHashMap<>();
        try (ScriptedChatServer server = new ScriptedChatServer(request -> {
            String caption = request.lastUserContent();
            String keyword = caption.split(" ")[0];
            int call = callsPerCaption.merge(caption, 1, Integer::sum);
            String good = "{\"instruction\": \"Make the scene snowy\", \"output_caption\": \"" + caption + " in the snow\"}";
            return switch (keyword) {
                case "fenced" -> ScriptedChatServer.reply("```json\n" + good + "\n```");
                case "stylish" -> ScriptedChatServer.reply("{\"instruction\": \"Render the image as a watercolor painting\", "
                        + "\"output_caption\": \"" + caption + " as a watercolor painting\"}");
                case "flaky" -> call == 1 ? ScriptedChatServer.status(429, Map.of("Retry-After", "0")) : ScriptedChatServer.reply(good);
                case "dropped" -> call == 1 ? new ScriptedChatServer.Drop() : ScriptedChatServer.reply(good);
                case "missing" -> ScriptedChatServer.reply("{\"instruction\": \"Make the scene snowy\"}");
                case "prose" -> ScriptedChatServer.reply("Sure! Make the scene snowy.");
                case "rambling" -> ScriptedChatServer.reply("{\"instruction\": \"" + "Make it snowy and ".repeat(30)
                        + "cold\", \"output_caption\": \"a cold scene\"}");
                case "echo" -> ScriptedChatServer.reply("{\"instruction\": \"" + caption + "\", \"output_caption\": \"a snowy scene\"}");
                case "broken" -> ScriptedChatServer.status(500, Map.of());
                case "hanging" -> new ScriptedChatServer.Hang();
                default -> ScriptedChatServer.reply(good);
            };
        }); EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            LlmSettings llm = LlmSettings.of(server.baseUrl(), MODEL).withApiKey(null, null)
                    .withTimeout(Duration.ofSeconds(2))
                    .withRetries(2, Duration.ofMillis(20), Duration.ofMillis(200))
                    .withConcurrency(4)
                    .withBreaker(1000, Duration.ofSeconds(1));
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("agents").transactionalIdPrefix("agents").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1")).restartDrillAfter(3)
                    .tools(new RecipeBook.Tools(null, models.toString(), 2))
                    .minPixelChange(Map.of(Task.GLOBAL, 0.0))
                    .instructions(InstructionRouting.decide(llm, Set.of()))
                    .build();
            assertThat(config.instructions().usesLlm(Task.GLOBAL)).isTrue();
            assertThat(config.instructions().usesLlm(Task.COLOR)).isFalse();
            KafkaTopics.ensure(config, 2, (short) 1);
            int colors = 4;
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (String keyword : CASES.keySet()) {
                    producer.send(CaptionEvent.newBuilder().setId("llm-" + keyword)
                            .setCaption(keyword + " a photo of a harbour with red boats").setTaskHint("global").build());
                }
                for (int i = 0; i < colors; i++) {
                    producer.send(TestImages.sceneCaption("c-" + i, i));
                }
                // a style edit of the caption's own image (inversion + Plug-and-Play)
                producer.send(CaptionEvent.newBuilder(TestImages.sceneCaption("llm-style", 99))
                        .setCaption("stylish a photo of a harbour with red boats").setTaskHint("style").build());
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, EditStreamJob.enabledTasks(config));
            env.executeAsync("editstream-agents").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            JobOutputs outputs = JobOutputs.read(config, CASES.size() + colors + 1);
            Map<String, Integer> seen = outputs.timesSeen();
            Map<String, EditSample> samples = outputs.samples();
            Map<String, Rejection> rejections = outputs.rejections();
            assertThat(seen).hasSize(CASES.size() + colors + 1);
            assertThat(seen.values()).allMatch(count -> count == 1);

            CASES.forEach((keyword, reason) -> {
                String id = "llm-" + keyword;
                if (reason == null) {
                    EditSample s = samples.get(id);
                    assertThat(s).as(id + " should be a sample; rejected: " + rejections.get(id)).isNotNull();
                    assertThat(s.getInstruction()).isEqualTo("Make the scene snowy");
                    assertThat(s.getOutputCaption()).isEqualTo(s.getInputCaption() + " in the snow");
                    assertThat(s.getLineage().getLlmModel()).isEqualTo(MODEL);
                    assertThat(s.getLineage().getPromptTemplateVersion()).isEqualTo(Agents.bundled().version());
                } else {
                    Rejection r = rejections.get(id);
                    assertThat(r).as(id + " should be rejected; sample: " + samples.get(id)).isNotNull();
                    assertThat(r.getReason()).as(id + ": " + r.getDetail()).isEqualTo(reason);
                    assertThat(r.getStage().name()).isEqualTo("INSTRUCT");
                }
            });
            EditSample styled = samples.get("llm-style");
            assertThat(styled).as("style sample; rejected: " + rejections.get("llm-style")).isNotNull();
            assertThat(styled.getTask()).isEqualTo(Task.STYLE);
            assertThat(styled.getGeneration().getRecipe()).isEqualTo(StyleRecipe.NAME);
            assertThat(styled.getGeneration().getParameters()).containsEntry("input", "given").containsKey("attention_fraction");
            for (int i = 0; i < colors; i++) {
                EditSample s = samples.get("c-" + i);
                if (s != null) {
                    assertThat(s.getLineage().getLlmModel()).isNull();
                }
            }
            // the color captions never reached the server; a caption's prompts are all the same (retries, replays)
            Map<String, List<JsonNode>> promptsByCaption = server.received().stream()
                    .collect(Collectors.groupingBy(ScriptedChatServer.Request::lastUserContent,
                            Collectors.mapping(r -> r.body().path("messages"), Collectors.toList())));
            assertThat(promptsByCaption.keySet()).allMatch(c -> !c.startsWith("a test scene"));
            assertThat(promptsByCaption.get("broken a photo of a harbour with red boats")).hasSizeGreaterThanOrEqualTo(2);
            promptsByCaption.values().forEach(prompts -> assertThat(Set.copyOf(prompts)).hasSize(1));
        }
    }
}
