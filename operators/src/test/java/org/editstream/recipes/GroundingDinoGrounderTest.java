package org.editstream.recipes;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.editstream.models.gdino.BertTokenizer;
import org.editstream.models.gdino.GroundingDino;
import org.editstream.models.gdino.GroundingDinoConfig;
import org.editstream.models.gdino.GroundingDinoProcessor;
import org.editstream.models.gdino.GroundingText;
import org.editstream.perception.GroundingHost;
import org.editstream.perception.ObjectGrounder;
import org.editstream.perception.SamGrounder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class GroundingDinoGrounderTest {
    private static final String FOLDER = "grounding-dino-tiny";

    @Test
    void findsEveryBoxTheModelGivesAboveTheThresholdBestFirstWithItsFilledMask(@TempDir Path models) throws Exception {
        Path folder = Fixtures.path(FOLDER);
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.GROUNDING.folderName()), folder.toAbsolutePath());
        BufferedImage image = ImageIO.read(Fixtures.path(FOLDER + "/golden/image0.png").toFile());
        String name = "a remote control";
        // the random-weight fixture scores about 0.4 at best: a threshold below its best query gives boxes
        float threshold = 0.38f;
        List<GroundingDino.Box> expected;
        float expectedBest;
        BertTokenizer tokenizer = BertTokenizer.load(folder);
        try (GroundingDino model = GroundingDino.load(folder, Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            GroundingDinoProcessor.Pixels pixels = GroundingDinoProcessor.load(folder).pixels(m, List.of(image));
            GroundingText text = GroundingText.of(tokenizer, List.of(GroundingText.caption(List.of(name))));
            GroundingDino.Detection d = model.detect(model.encode(pixels.values(), pixels.mask(), text));
            expected = GroundingDino.boxes(d.logits().get(0), d.boxes().get(0), text.ids()[0], threshold,
                    GroundingDinoGrounder.TEXT_THRESHOLD, image.getHeight(), image.getWidth(), tokenizer).stream()
                    .sorted(Comparator.comparingDouble(GroundingDino.Box::score).reversed()).toList();
            expectedBest = d.logits().get(0).max().getNDArrayInternal().sigmoid().getFloat();
        }
        assertThat(expected).as("boxes above %s", threshold).isNotEmpty();

        GroundingDinoGrounder grounder = new GroundingDinoGrounder(GroundingHost.forFolder(
                new ModelsFolder(models.toString()).folderOf(ModelsFolder.Family.GROUNDING)), threshold,
                GroundingDinoGrounder.TEXT_THRESHOLD);
        ObjectGrounder.Detections found = grounder.groundAll(image, name);
        assertThat(found.bestScore()).isCloseTo(expectedBest, within(1e-5));
        List<ObjectGrounder.Grounding> expectedGroundings = expected.stream()
                .map(b -> GroundingDinoGrounder.toGrounding(b, image.getWidth(), image.getHeight()))
                .flatMap(Optional::stream).toList();
        assertThat(found.found()).hasSameSizeAs(expectedGroundings);
        for (int i = 0; i < expectedGroundings.size(); i++) {
            ObjectGrounder.Grounding g = found.found().get(i);
            assertThat(g.box()).isEqualTo(expectedGroundings.get(i).box());
            assertThat(g.score()).isCloseTo(expectedGroundings.get(i).score(), within(1e-5));
            assertThat(g.box().x).isBetween(0, image.getWidth() - 1);
            assertThat(g.box().y + g.box().height).isLessThanOrEqualTo(image.getHeight());
            int inside = 0;
            for (int y = 0; y < image.getHeight(); y++) {
                for (int x = 0; x < image.getWidth(); x++) {
                    inside += (g.segmentation().getRaster().getSample(x, y, 0) >= 128) == g.box().contains(x, y) ? 1 : 0;
                }
            }
            assertThat(inside).as("mask pixels agreeing with the box").isEqualTo(image.getWidth() * image.getHeight());
        }
        for (int i = 1; i < found.found().size(); i++) {
            assertThat(found.found().get(i).score()).isLessThanOrEqualTo(found.found().get(i - 1).score());
        }
        assertThat(grounder.ground(image, name).map(ObjectGrounder.Grounding::box)).contains(found.found().get(0).box());
        assertThat(grounder.id()).contains("grounding-dino");
    }

    @Test
    void theBuiltInGrounderIsUsedWhenTheModelsFolderHasOneAndNoneIsNamed(@TempDir Path models) throws Exception {
        RecipeBook.Tools none = new RecipeBook.Tools(null, models.toString(), 30, null, 1, false);
        assertThat(none.grounderClass()).isNull();
        assertThatThrownBy(() -> new GroundingDinoGrounder(models))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no Grounding DINO");
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.GROUNDING.folderName()), Fixtures.path(FOLDER).toAbsolutePath());
        assertThat(new RecipeBook.Tools(null, models.toString(), 30, null, 1, false).grounderClass())
                .as("Grounding DINO without SAM").isNull();
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.SAM.folderName()), Fixtures.path("sam-tiny").toAbsolutePath());
        RecipeBook.Tools found = new RecipeBook.Tools(null, models.toString(), 30, null, 1, false);
        assertThat(found.grounderClass()).isEqualTo(GroundingDinoGrounder.class.getName());
        assertThat(RecipeBook.capabilities(found)).contains(org.editstream.tasks.Capability.GROUNDING);
        assertThat(new RecipeBook.Tools(null, models.toString(), 30, "com.example.Mine", 1, false).grounderClass())
                .isEqualTo("com.example.Mine");
        assertThat(ObjectGrounder.load(found.grounderClass(), models)).isInstanceOf(GroundingDinoGrounder.class);
    }

    @Test
    void severalNamesAreGroundedInOnePassEachCreditedWithTheQueriesThatMatchedItsOwnTokens() throws Exception {
        Path folder = Fixtures.path(FOLDER);
        BufferedImage image = ImageIO.read(Fixtures.path(FOLDER + "/golden/image0.png").toFile());
        List<String> names = List.of("a cat", "a remote control");
        BertTokenizer tokenizer = BertTokenizer.load(folder);
        float[] probabilities;
        float[] normalised;
        int queries;
        int positions;
        try (GroundingDino model = GroundingDino.load(folder, Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            GroundingDinoProcessor.Pixels pixels = GroundingDinoProcessor.load(folder).pixels(m, List.of(image));
            GroundingText text = GroundingText.of(tokenizer, List.of(GroundingText.caption(names)));
            GroundingDino.Detection d = model.detect(model.encode(pixels.values(), pixels.mask(), text));
            probabilities = d.logits().get(0).getNDArrayInternal().sigmoid().toFloatArray();
            normalised = d.boxes().get(0).toFloatArray();
            queries = (int) d.logits().getShape().get(1);
            positions = (int) d.logits().getShape().get(2);
        }
        // [CLS] a cat . a remote control . [SEP]: each name's tokens follow the previous name's full stop
        int[][] spans = new int[names.size()][];
        int start = 1;
        for (int n = 0; n < names.size(); n++) {
            int length = tokenizer.encode(names.get(n)).length - 2;
            spans[n] = new int[] {start, start + length};
            start += length + 1;
        }
        float threshold = 0.38f;
        GroundingDinoGrounder grounder = new GroundingDinoGrounder(GroundingHost.forFolder(folder), threshold,
                GroundingDinoGrounder.TEXT_THRESHOLD);
        List<ObjectGrounder.Detections> each = grounder.groundEach(image, names);
        assertThat(each).hasSize(names.size());
        int foundAny = 0;
        for (int n = 0; n < names.size(); n++) {
            List<Float> expectedScores = new ArrayList<>();
            List<Rectangle> expectedBoxes = new ArrayList<>();
            float best = 0;
            for (int q = 0; q < queries; q++) {
                float score = 0;
                for (int t = spans[n][0]; t < spans[n][1]; t++) {
                    score = Math.max(score, probabilities[q * positions + t]);
                }
                best = Math.max(best, score);
                if (score > threshold) {
                    expectedScores.add(score);
                    float[] c = GroundingDino.corners(normalised, q, image.getHeight(), image.getWidth());
                    GroundingDinoGrounder.toGrounding(new GroundingDino.Box(score, c, names.get(n)), image.getWidth(),
                            image.getHeight()).ifPresent(g -> expectedBoxes.add(g.box()));
                }
            }
            ObjectGrounder.Detections found = each.get(n);
            assertThat(found.bestScore()).as("best score of %s", names.get(n)).isCloseTo(best, within(1e-5));
            assertThat(found.found()).as("instances of %s", names.get(n)).hasSize(expectedBoxes.size());
            assertThat(found.found().stream().map(ObjectGrounder.Grounding::box).toList())
                    .containsExactlyInAnyOrderElementsOf(expectedBoxes);
            for (int i = 1; i < found.found().size(); i++) {
                assertThat(found.found().get(i).score()).isLessThanOrEqualTo(found.found().get(i - 1).score());
            }
            foundAny += found.found().size();
        }
        assertThat(foundAny).as("boxes of either name above %s", threshold).isPositive();
        assertThat(grounder.groundEach(image, List.of(names.get(1))).get(0).found())
                .as("one name is the one-phrase reading").hasSameSizeAs(grounder.groundAll(image, names.get(1)).found());
    }

    @Test
    void theToolsThresholdsReachTheBuiltInGrounderAndBadOnesAreRefused(@TempDir Path models) throws Exception {
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.GROUNDING.folderName()), Fixtures.path(FOLDER).toAbsolutePath());
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.SAM.folderName()), Fixtures.path("sam-tiny").toAbsolutePath());
        BufferedImage image = ImageIO.read(Fixtures.path(FOLDER + "/golden/image0.png").toFile());
        RecipeBook.Tools everything = new RecipeBook.Tools(null, models.toString(), 30, null, 1, false, 0f, 0f);
        RecipeBook.Tools nothing = new RecipeBook.Tools(null, models.toString(), 30, null, 1, false, 0.999f, 0.25f);
        ObjectGrounder all = everything.grounding().boxes();
        int queries = ModelFolder.config(Fixtures.path(FOLDER),
                GroundingDinoConfig.class).numQueries();
        assertThat(all.groundAll(image, "a cat").found()).as("every query passes a threshold of 0")
                .hasSizeLessThanOrEqualTo(queries).hasSizeGreaterThan(queries / 2);
        assertThat(nothing.grounding().boxes().groundAll(image, "a cat").found()).as("none passes 0.999").isEmpty();
        assertThat(everything.grounding().withMasks()).as("with SAM beside it").isInstanceOf(SamGrounder.class);
        assertThat(everything.grounding().describe()).contains("box threshold 0.0");
        assertThatThrownBy(() -> new RecipeBook.Tools(null, models.toString(), 30, null, 1, false, 1.5f, 0.25f))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("box threshold");
        assertThat(new RecipeBook.Tools(null, models.toString(), 30, "com.example.Mine", 1, false).grounding().describe())
                .isEqualTo("com.example.Mine");
    }
}
