package org.editstream.filters;

import org.editstream.rejections.Refusal;
import org.editstream.schema.EditSample;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScoreThresholdTest {
    private static EditSample sample(Task task, Float direction, Float image, Float output) {
        EditSample s = new EditSample();
        s.setTask(task);
        s.setScores(Scores.newBuilder().setClipDirection(direction).setClipImage(image).setClipOutput(output)
                .setPixelL1(0.2f).build());
        return s;
    }

    private final FilterChain chain = new FilterChain(List.of(
            ScoreThreshold.instructPix2Pix(ScoreThreshold.Metric.CLIP_IMAGE, EnumSet.of(Task.LOCAL, Task.GLOBAL)),
            ScoreThreshold.instructPix2Pix(ScoreThreshold.Metric.CLIP_DIRECTION, EnumSet.of(Task.LOCAL, Task.GLOBAL)),
            new ScoreThreshold(ScoreThreshold.Metric.CLIP_OUTPUT, Map.of(Task.LOCAL, 0.25))));

    @Test
    void keepsWhatClearsEveryThreshold() throws Refusal {
        chain.check(sample(Task.LOCAL, 0.31f, 0.82f, 0.27f));
        chain.check(sample(Task.GLOBAL, 0.21f, 0.76f, 0.01f)); // no output threshold for global here
    }

    @Test
    void rejectsNamingTheFilterAndTheScoreAgainstItsThreshold() {
        assertThatThrownBy(() -> chain.check(sample(Task.LOCAL, 0.12f, 0.9f, 0.3f)))
                .isInstanceOfSatisfying(FilterChain.FilterRefusal.class, r -> {
                    assertThat(r.filter()).isEqualTo("FILTER_CLIP_DIR");
                    assertThat(r.getMessage()).contains("FILTER_CLIP_DIR: 0.12 < 0.20");
                });
        assertThatThrownBy(() -> chain.check(sample(Task.LOCAL, 0.3f, 0.74f, 0.3f)))
                .hasMessageContaining("FILTER_CLIP_IMG: 0.74 < 0.75");
        assertThatThrownBy(() -> chain.check(sample(Task.LOCAL, 0.3f, 0.9f, 0.24f)))
                .hasMessageContaining("FILTER_CLIP_OUT: 0.24 < 0.25");
    }

    @Test
    void tasksWithoutThresholdsPassAndUnscoredJudgedSamplesDoNot() throws Refusal {
        chain.check(sample(Task.COLOR, null, null, null));
        assertThatThrownBy(() -> chain.check(sample(Task.LOCAL, null, 0.9f, 0.3f)))
                .hasMessageContaining("FILTER_CLIP_DIR: not scored");
        assertThatThrownBy(() -> chain.check(sample(Task.LOCAL, Float.NaN, 0.9f, 0.3f)))
                .hasMessageContaining("not scored");
    }

    @Test
    void theStructureLimitIsAMaximumAndTheDinoLimitAMinimum() throws Refusal {
        FilterChain perception = new FilterChain(List.of(
                new ScoreThreshold(ScoreThreshold.Metric.DINO_SIMILARITY, Map.of(Task.GLOBAL, 0.4)),
                new ScoreThreshold(ScoreThreshold.Metric.STRUCTURE_L1, Map.of(Task.GLOBAL, 0.2, Task.COLOR, 0.1))));
        perception.check(scored(Task.GLOBAL, 0.19f, 0.55f));
        perception.check(scored(Task.COLOR, 0.05f, null)); // colour has no DINO minimum here
        assertThatThrownBy(() -> perception.check(scored(Task.GLOBAL, 0.25f, 0.55f)))
                .isInstanceOfSatisfying(FilterChain.FilterRefusal.class, r -> {
                    assertThat(r.filter()).isEqualTo("FILTER_STRUCTURE");
                    assertThat(r.getMessage()).contains("FILTER_STRUCTURE: 0.250 > 0.200");
                });
        assertThatThrownBy(() -> perception.check(scored(Task.GLOBAL, 0.1f, 0.35f)))
                .hasMessageContaining("FILTER_DINO: 0.35 < 0.40");
        assertThatThrownBy(() -> perception.check(scored(Task.COLOR, null, null)))
                .hasMessageContaining("FILTER_STRUCTURE: not scored");
    }

    private static EditSample scored(Task task, Float structure, Float dino) {
        EditSample s = new EditSample();
        s.setTask(task);
        s.setScores(Scores.newBuilder().setStructureL1(structure).setDinoSimilarity(dino).setPixelL1(0.2f).build());
        return s;
    }
}
