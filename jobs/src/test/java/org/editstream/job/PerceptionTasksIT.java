package org.editstream.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.editstream.filters.FilterSettings;
import org.editstream.kafka.CaptionProducer;
import org.editstream.local.EmbeddedKafka;
import org.editstream.models.Fixtures;
import org.editstream.models.dino.DinoFolders;
import org.editstream.imaging.SegmentationMap;
import org.editstream.recipes.RecipeBook;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
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
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The depth and normal tasks, the structure filter and DINO similarity inside the real job, with the tiny Depth
 * Anything fixture as {@code models/depth} and its backbone as {@code models/dino} (random weights: the maps are
 * noise, the plumbing is what is tested), across a restart: every caption leaves exactly once, depth pairs are kept
 * with their scores, and impossible limits reject the normal pairs (DINO) and the colour pairs (structure) with
 * rejections that name the filter and the score.
 */
class PerceptionTasksIT {
    @Test
    void depthAndNormalPairsAndThePerceptionFiltersRunExactlyOnce(@TempDir Path models, @TempDir Path checkpoints) throws Exception {
        Files.createSymbolicLink(models.resolve("depth"), Fixtures.path("depth-tiny").toAbsolutePath());
        DinoFolders.fromDepthFixture(models.resolve("dino"));
        try (EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("perception").transactionalIdPrefix("perception").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1")).restartDrillAfter(3)
                    .tools(new RecipeBook.Tools(null, models.toString(), 3))
                    .filters(FilterSettings.defaults()
                            .withMinDinoSimilarity(Map.of(Task.NORMAL, 1.01)) // no cosine reaches it
                            .withMaxStructureL1(Map.of(Task.COLOR, -1.0))) // no distance is below it
                    .build();
            EnabledTasks enabled = EditStreamJob.enabledTasks(config);
            assertThat(enabled.isEnabled(Task.DEPTH)).isTrue();
            assertThat(enabled.isEnabled(Task.NORMAL)).isTrue();
            assertThat(EditStreamJob.startupLines(config, enabled)).anyMatch(l -> l.startsWith("Models in ") && l.contains("depth/, dino/"))
                    .anyMatch(l -> l.startsWith("Structure filter on: ")).anyMatch(l -> l.startsWith("DINO similarity on: "));
            KafkaTopics.ensure(config, 2, (short) 1);
            Map<String, String> hints = Map.of("d", "depth", "n", "normal", "c", "color");
            int each = 4;
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (Map.Entry<String, String> hint : hints.entrySet()) {
                    for (int i = 0; i < each; i++) {
                        CaptionEvent scene = TestImages.sceneCaption(hint.getKey() + "-" + i, i);
                        producer.send(CaptionEvent.newBuilder(scene).setTaskHint(hint.getValue()).build());
                    }
                }
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, enabled);
            env.executeAsync("editstream-perception").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            int captions = hints.size() * each;
            JobOutputs outputs = JobOutputs.read(config, captions);
            assertThat(outputs.timesSeen()).hasSize(captions);
            assertThat(outputs.timesSeen().values()).allMatch(count -> count == 1);

            List<EditSample> depth = outputs.samples().values().stream().filter(s -> s.getCaptionId().startsWith("d-")).toList();
            assertThat(depth).hasSize(each).allSatisfy(s -> {
                assertThat(s.getTask()).isEqualTo(Task.DEPTH);
                assertThat(s.getGeneration().getRecipe()).isEqualTo("depth");
                assertThat(s.getGeneration().getParameters()).containsEntry("map", "depth").containsKey("direction");
                assertThat(s.getGeneration().getModelIds()).anyMatch(id -> id.startsWith("depth-anything-v2"));
                assertThat(s.getScores().getDinoSimilarity()).isBetween(-1f, 1f);
                assertThat(s.getScores().getStructureL1()).as("depth pairs are not judged by structure").isNull();
                // the map side of the pair is grey, at the image's size
                BufferedImage map = image(s.getGeneration().getParameters().get("direction").equals("to_map") ? s.getEditedImage().getData().array()
                        : s.getInputImage().getData().array());
                assertThat(map.getWidth()).isEqualTo(64);
                int rgb = map.getRGB(10, 10);
                assertThat((rgb >> 16) & 0xFF).isEqualTo(rgb & 0xFF).isEqualTo((rgb >> 8) & 0xFF);
            });
            List<Rejection> normals = rejections(outputs, "n-");
            assertThat(normals).hasSize(each).allSatisfy(r -> {
                assertThat(r.getStage()).isEqualTo(Stage.FILTER);
                assertThat(r.getReason()).isEqualTo(Reason.FILTER_REJECTED);
                assertThat(r.getDetail()).matches("FILTER_DINO: -?[01]\\.\\d\\d < 1\\.01");
            });
            List<Rejection> colors = rejections(outputs, "c-");
            assertThat(colors).hasSize(each).allSatisfy(r ->
                    assertThat(r.getDetail()).matches("FILTER_STRUCTURE: 0\\.\\d{3} > -1\\.000"));
        }
    }

    @Test
    void poseAndSegmentationMapPairsRunExactlyOnce(@TempDir Path models, @TempDir Path checkpoints) throws Exception {
        Files.createSymbolicLink(models.resolve("pose"), Fixtures.path("vitpose-tiny").toAbsolutePath());
        Files.createSymbolicLink(models.resolve("segmap"), Fixtures.path("segformer-tiny").toAbsolutePath());
        try (EmbeddedKafka kafka = EmbeddedKafka.start(16 * 1024 * 1024, null)) {
            JobConfig config = JobConfig.builder(kafka.bootstrapServers())
                    .groupId("pose-segmap").transactionalIdPrefix("pose-segmap").bounded(true).parallelism(2)
                    .checkpointInterval(Duration.ofMillis(500)).checkpointDirectory(checkpoints.toUri().toString())
                    .taskMix(TaskMix.parse("color=1")).restartDrillAfter(3)
                    .tools(new RecipeBook.Tools(null, models.toString(), 2, CentreGrounder.class.getName(), 1, false))
                    .build();
            EnabledTasks enabled = EditStreamJob.enabledTasks(config);
            assertThat(enabled.isEnabled(Task.POSE)).isTrue();
            assertThat(enabled.isEnabled(Task.SEGMAP)).isTrue();
            assertThat(EditStreamJob.startupLines(config, enabled))
                    .anyMatch(l -> l.startsWith("Models in ") && l.contains("pose/, segmap/"));
            KafkaTopics.ensure(config, 2, (short) 1);
            int each = 4;
            try (CaptionProducer producer = new CaptionProducer(config.bootstrapServers(), config.captionsTopic(),
                    config.maxRecordBytes(), Map.of())) {
                for (int i = 0; i < each; i++) {
                    producer.send(CaptionEvent.newBuilder(TestImages.sceneCaption("p-" + i, i)).setTaskHint("pose").build());
                    producer.send(CaptionEvent.newBuilder(TestImages.sceneCaption("s-" + i, i)).setTaskHint("segmap").build());
                }
                BufferedImage grey = new BufferedImage(64, 48, BufferedImage.TYPE_3BYTE_BGR);
                producer.send(CaptionEvent.newBuilder().setId("nobody").setCaption("an empty grey wall").setTaskHint("pose")
                        .setImage(ImageRef.newBuilder().setData(ByteBuffer.wrap(TestImages.png(grey))).build()).build());
                producer.flush();
            }

            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, FlinkSettings.of(config));
            EditStreamJob.build(env, config, enabled);
            env.executeAsync("editstream-pose-segmap").getJobExecutionResult().get(10, TimeUnit.MINUTES);

            int captions = 2 * each + 1;
            JobOutputs outputs = JobOutputs.read(config, captions);
            assertThat(outputs.timesSeen()).hasSize(captions);
            assertThat(outputs.timesSeen().values()).allMatch(count -> count == 1);

            List<EditSample> poses = outputs.samples().values().stream().filter(s -> s.getCaptionId().startsWith("p-")).toList();
            assertThat(poses).hasSize(each).allSatisfy(s -> {
                assertThat(s.getTask()).isEqualTo(Task.POSE);
                assertThat(s.getGeneration().getParameters()).containsEntry("map", "pose").containsEntry("persons", "1")
                        .containsKeys("limbs", "keypoint_threshold", "person_score");
                assertThat(s.getGeneration().getModelIds()).anyMatch(id -> id.startsWith("centre-grounder"))
                        .anyMatch(id -> id.startsWith("vitpose"));
                // the skeleton side: black outside the person's box
                BufferedImage skeleton = mapSide(s);
                assertThat(skeleton.getRGB(1, 1) & 0xFFFFFF).isZero();
            });
            List<EditSample> maps = outputs.samples().values().stream().filter(s -> s.getCaptionId().startsWith("s-")).toList();
            assertThat(maps).hasSize(each).allSatisfy(s -> {
                assertThat(s.getTask()).isEqualTo(Task.SEGMAP);
                assertThat(s.getGeneration().getParameters()).containsEntry("map", "segmap").containsEntry("palette", "ade20k");
                assertThat(s.getGeneration().getModelIds()).anyMatch(id -> id.startsWith("segformer"));
                // every pixel of the map side is a palette colour
                BufferedImage map = mapSide(s);
                SegmentationMap read = SegmentationMap.read(map, SegmentationMap.ADE20K);
                assertThat(read.render(SegmentationMap.ADE20K).getRGB(0, 0, 64, map.getHeight(), null, 0, 64))
                        .isEqualTo(map.getRGB(0, 0, 64, map.getHeight(), null, 0, 64));
            });
            Rejection nobody = outputs.rejections().get("nobody");
            assertThat(nobody).isNotNull();
            assertThat(nobody.getReason()).isEqualTo(Reason.NO_PERSON);
            assertThat(nobody.getTask()).isEqualTo(Task.POSE);
            assertThat(nobody.getDetail()).contains("no person");
        }
    }

    private static BufferedImage mapSide(EditSample s) throws Exception {
        boolean toMap = s.getGeneration().getParameters().get("direction").equals("to_map");
        return image((toMap ? s.getEditedImage() : s.getInputImage()).getData().array());
    }

    private static List<Rejection> rejections(JobOutputs outputs, String prefix) {
        return outputs.rejections().values().stream().filter(r -> r.getCaptionId().startsWith(prefix)).toList();
    }

    private static BufferedImage image(byte[] png) throws Exception {
        return ImageIO.read(new ByteArrayInputStream(png));
    }
}
