package org.editstream.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.filters.FilterSettings;
import org.editstream.filters.ScoreThreshold;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmSettings;
import org.editstream.instruct.ScriptedChatServer;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.models.Fixtures;
import org.editstream.recipes.GroundingDinoGrounder;
import org.editstream.recipes.ModelsFolder;
import org.editstream.recipes.RecipeBook;
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

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tasks that find objects, through the real job with the built-in grounder: Grounding DINO and SAM from the
 * models folder (the tiny fixtures in their real layouts), chosen because both are there. The tiny models' scores
 * mean nothing, so the thresholds are set where the outcome is certain: a box threshold of 0 makes every query an
 * instance of every name, and a mask-area range of one value no mask of these images can cover exactly.
 * <ul>
 *   <li>detect: a sample, its boxes drawn;</li>
 *   <li>local, remove, add: the detector check rejects them (the object is found in both images, and where the mask
 *       is the original as well as the edited one);</li>
 *   <li>texture and segment: the mask-area filter rejects them.</li>
 * </ul>
 * A restart drill fails the job once; every caption still leaves exactly once.
 */
class GroundedTasksIT {
    /**
     * One value as the whole range: a mask of k pixels of an N-pixel image covers k / N, and 0.31415 = 6283 / 20000 is
     * that only where N is a multiple of 20000 (these images have 3072 or 4096 pixels).
     */
    private static final double AREA = 0.31415;

    /** RegionTasksIT's local, remove, add and texture captions, with their scripted replies. */
    private static final List<RegionTasksIT.Case> REGION = RegionTasksIT.CASES.subList(0, 4);

    @Test
    void detectSegmentAndRegionTasksGroundWithGroundingDinoAndSamAndMeetTheDetectorCheckAndTheMaskArea(
            @TempDir Path models, @TempDir Path checkpoints) throws Exception {
        Files.createSymbolicLink(models.resolve("diffusion"), Fixtures.path("sd-tiny").toAbsolutePath());
        Files.createSymbolicLink(models.resolve("clip"), Fixtures.path("clip-tiny").toAbsolutePath());
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.GROUNDING.folderName()),
                Fixtures.path("grounding-dino-tiny").toAbsolutePath());
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.SAM.folderName()), Fixtures.path("sam-tiny").toAbsolutePath());

        Map<String, String> replies = new HashMap<>();
        REGION.forEach(c -> replies.put(c.caption(), c.reply()));
        try (ScriptedChatServer server = new ScriptedChatServer(request -> {
            String user = request.lastUserContent();
            String reply = replies.get(user);
            return ScriptedChatServer.reply(reply != null ? reply : "{\"object\": \"" + user + "\"}");
        }); EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            LlmSettings llm = LlmSettings.of(server.baseUrl(), "scripted-llm").withApiKey(null, null)
                    .withTimeout(Duration.ofSeconds(5));
            Map<Task, Double> anyScore = new EnumMap<>(Task.class);
            Map<Task, Double> anyChange = new EnumMap<>(Task.class);
            for (RegionTasksIT.Case c : REGION) {
                anyScore.put(c.task(), -1.0); // the generated tasks' CLIP minimums
            }
            for (Task task : Task.values()) {
                anyChange.put(task, 0.0);
            }
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("grounded").transactionalIdPrefix("grounded").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1")).restartDrillAfter(2)
                    // no grounder named: the built-in one, with every query an instance
                    .tools(new RecipeBook.Tools(null, models.toString(), 2, null, 2, false, 0f, 0f))
                    // CLIP and the pixel change pass everything and nothing is relabelled: the two checks decide
                    .filters(FilterSettings.defaults().withMinPixelChange(anyChange).withMinTaskLead(10).withClipMinimum(Map.of(
                                    ScoreThreshold.Metric.CLIP_IMAGE, anyScore, ScoreThreshold.Metric.CLIP_DIRECTION, anyScore,
                                    ScoreThreshold.Metric.CLIP_OUTPUT, anyScore))
                            .withMaskArea(AREA, AREA))
                    .instructions(InstructionRouting.decide(llm, Set.of(Task.DETECT, Task.SEGMENT)))
                    .build();
            assertThat(config.tools().grounderClass()).isEqualTo(GroundingDinoGrounder.class.getName());
            EnabledTasks enabled = EditStreamJob.enabledTasks(config);
            for (Task task : List.of(Task.LOCAL, Task.REMOVE, Task.ADD, Task.TEXTURE, Task.DETECT, Task.SEGMENT)) {
                assertThat(enabled.isEnabled(task)).as(task + ": " + enabled.disabled().get(task)).isTrue();
            }
            assertThat(EditStreamJob.startupLines(config, enabled))
                    .contains("Detector check on for add, remove and local: Grounding DINO (box threshold 0.0, text threshold 0.0)");
            KafkaTopics.ensure(config, 2, (short) 1);
            int each = 2;
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (RegionTasksIT.Case c : REGION) {
                    producer.send(CaptionEvent.newBuilder().setId(c.id()).setCaption(c.caption())
                            .setTaskHint(c.task().name().toLowerCase()).build());
                }
                for (int i = 0; i < each; i++) {
                    producer.send(CaptionEvent.newBuilder(TestImages.sceneCaption("detect-" + i, i)).setTaskHint("detect").build());
                    producer.send(CaptionEvent.newBuilder(TestImages.sceneCaption("segment-" + i, i)).setTaskHint("segment").build());
                }
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, enabled);
            env.executeAsync("editstream-grounded").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            int captions = REGION.size() + 2 * each;
            JobOutputs outputs = JobOutputs.read(config, captions);
            assertThat(outputs.timesSeen()).hasSize(captions);
            assertThat(outputs.timesSeen().values()).allMatch(count -> count == 1);
            Map<String, EditSample> samples = outputs.samples();
            Map<String, Rejection> rejections = outputs.rejections();

            for (int i = 0; i < each; i++) {
                EditSample detect = samples.get("detect-" + i);
                assertThat(detect).as("detect sample; rejected: " + rejections.get("detect-" + i)).isNotNull();
                assertThat(detect.getTask()).isEqualTo(Task.DETECT);
                assertThat(Integer.parseInt(detect.getGeneration().getParameters().get("instances"))).isPositive();
                assertThat(detect.getGeneration().getParameters()).containsKeys("object", "color", "thickness", "score");
                assertThat(detect.getGeneration().getModelIds()).anyMatch(id -> id.startsWith("grounding-dino"))
                        .anyMatch(id -> id.contains("segment-anything"));
                assertThat(detect.getScores().getDetectorCheck()).as("detect is not the detector check's").isNull();
                assertThat(image(detect.getEditedImage().getData().array()).getRGB(0, 0, 64, 48, null, 0, 64))
                        .as("boxes drawn").isNotEqualTo(image(detect.getInputImage().getData().array()).getRGB(0, 0, 64, 48, null, 0, 64));

                Rejection segment = rejections.get("segment-" + i);
                assertThat(segment).as("segment rejection; sample: " + samples.get("segment-" + i)).isNotNull();
                assertThat(segment.getStage()).isEqualTo(Stage.FILTER);
                assertThat(segment.getReason()).isEqualTo(Reason.FILTER_REJECTED);
                assertThat(segment.getDetail()).matches("FILTER_MASK_AREA: [01]\\.\\d{4} [<>] 0\\.3142 of the image");
            }
            assertThat(REGION).extracting(RegionTasksIT.Case::task).containsExactly(Task.LOCAL, Task.REMOVE, Task.ADD, Task.TEXTURE);
            Rejection texture = rejections.get("r-texture");
            assertThat(texture).as("texture rejection; sample: " + samples.get("r-texture")).isNotNull();
            assertThat(texture.getDetail()).startsWith("FILTER_MASK_AREA: ");
            Map<String, String> details = Map.of(
                    "r-local", "FILTER_DETECTOR_CHECK: where the mask is, 'brown cat' must be found and 'brown dog' not",
                    "r-remove", "FILTER_DETECTOR_CHECK: the removed 'black dog' must be found in the input only",
                    "r-add", "FILTER_DETECTOR_CHECK: the added 'red ball' must be found in the edited image only");
            details.forEach((id, detail) -> {
                Rejection r = rejections.get(id);
                assertThat(r).as(id + " rejection; sample: " + samples.get(id)).isNotNull();
                assertThat(r.getStage()).isEqualTo(Stage.FILTER);
                assertThat(r.getReason()).isEqualTo(Reason.FILTER_REJECTED);
                assertThat(r.getDetail()).startsWith(detail).matches(".*scores? [01]\\.\\d{3} .*and [01]\\.\\d{3}.*");
            });
        }
    }

    private static BufferedImage image(byte[] png) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(png));
    }
}
