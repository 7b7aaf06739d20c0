package org.editstream.filters;

import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class FilterSettingsTest {
    @Test
    void clipFiltersJoinOnlyWithAModelAndStartFromInstructPix2PixForGeneratedTasks() {
        FilterSettings settings = FilterSettings.defaults().withClipMinimum(Map.of(
                ScoreThreshold.Metric.CLIP_DIRECTION, Map.of(Task.GLOBAL, 0.15, Task.COLOR, 0.05)));
        assertThat(settings.chain(false, false, false, false, EnumSet.of(Task.GLOBAL)).filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_MASK_AREA");
        FilterChain chain = settings.chain(true, false, false, false, EnumSet.of(Task.GLOBAL));
        assertThat(chain.filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_MASK_AREA", "FILTER_CLIP_IMG", "FILTER_CLIP_DIR", "FILTER_CLIP_OUT");
        ScoreThreshold image = (ScoreThreshold) chain.filters().get(2);
        ScoreThreshold direction = (ScoreThreshold) chain.filters().get(3);
        assertThat(image.limits()).containsExactly(Map.entry(Task.GLOBAL, 0.75));
        assertThat(direction.limits()).containsOnly(Map.entry(Task.GLOBAL, 0.15), Map.entry(Task.COLOR, 0.05));
    }

    @Test
    void dinoAndStructureLimitsJoinWithTheirModels() {
        FilterSettings settings = FilterSettings.defaults().withMinDinoSimilarity(Map.of(Task.COLOR, 0.8))
                .withMaxStructureL1(Map.of(Task.GLOBAL, 0.3, Task.LOCAL, 0.2));
        FilterChain chain = settings.chain(false, true, true, false, EnumSet.of(Task.GLOBAL, Task.STYLE));
        assertThat(chain.filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_MASK_AREA", "FILTER_DINO", "FILTER_STRUCTURE");
        ScoreThreshold dino = (ScoreThreshold) chain.filters().get(2);
        assertThat(dino.limits()).containsOnly(Map.entry(Task.GLOBAL, FilterSettings.DINO_MINIMUM),
                Map.entry(Task.STYLE, FilterSettings.DINO_MINIMUM), Map.entry(Task.COLOR, 0.8));
        ScoreThreshold structure = (ScoreThreshold) chain.filters().get(3);
        assertThat(structure.limits()).containsEntry(Task.GLOBAL, 0.3).containsEntry(Task.LOCAL, 0.2)
                .containsEntry(Task.COLOR, FilterSettings.STRUCTURE_DEFAULTS.get(Task.COLOR)).doesNotContainKey(Task.REMOVE);
        assertThat(settings.structureTasks()).isEqualTo(structure.limits().keySet());
        assertThat(settings.chain(false, false, false, false, EnumSet.of(Task.GLOBAL)).filters()).hasSize(2);
    }

    @Test
    void theMaskAreaRangeIsUltraEditsUnlessGivenAndJudgesRegionEditsOnly() throws Exception {
        FilterSettings defaults = FilterSettings.defaults();
        assertThat(defaults.minMaskArea()).isEqualTo(0.01);
        assertThat(defaults.maxMaskArea()).isEqualTo(0.90);
        MaskAreaFilter filter = new MaskAreaFilter(0.05, 0.5);
        assertThat(filter.failure(sample(Task.LOCAL, 0.2f))).isEmpty();
        assertThat(filter.failure(sample(Task.LOCAL, 0.01f))).contains("0.0100 < 0.0500 of the image");
        assertThat(filter.failure(sample(Task.SEGMENT, 0.7f))).contains("0.7000 > 0.5000 of the image");
        assertThat(filter.failure(sample(Task.DETECT, 0.001f))).as("detect's mask is its outlines").isEmpty();
        assertThat(filter.failure(sample(Task.REMOVE, null))).as("no mask").isEmpty();
        FilterChain chain = defaults.withMaskArea(0.05, 0.5).chain(false, false, false, false, EnumSet.noneOf(Task.class));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> chain.check(sample(Task.ADD, 0.9f)))
                .hasMessageContaining("FILTER_MASK_AREA: 0.9000 > 0.5000");
        chain.check(sample(Task.ADD, 0.3f));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> defaults.withMaskArea(0.5, 0.2))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDetectorCheckJoinsWithAGrounderUnlessTurnedOffAndRejectsWhatItFailedSayingWhatWasSeen() throws Exception {
        FilterSettings defaults = FilterSettings.defaults();
        assertThat(defaults.detectorCheck()).isTrue();
        assertThat(defaults.chain(false, false, false, true, EnumSet.noneOf(Task.class)).filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_DETECTOR_CHECK", "FILTER_MASK_AREA");
        assertThat(defaults.withDetectorCheck(false).chain(false, false, false, true, EnumSet.noneOf(Task.class)).filters())
                .extracting(Filter::name).doesNotContain("FILTER_DETECTOR_CHECK");
        assertThat(defaults.detectorCheckWith(false)).isFalse();
        assertThat(defaults.withDetectorCheck(false).detectorCheckWith(true)).isFalse();

        DetectorCheckFilter filter = new DetectorCheckFilter();
        org.editstream.schema.EditSample add = detected(Task.ADD, null, "red ball", false, 0.21f, 0.52f);
        assertThat(filter.failure(add)).contains(
                "the added 'red ball' must be found in the edited image only: it scores 0.210 there and 0.520 in the input");
        assertThat(filter.failure(detected(Task.REMOVE, "dog", null, false, 0.8f, 0.6f))).contains(
                "the removed 'dog' must be found in the input only: it scores 0.800 there and 0.600 in the edited image");
        assertThat(filter.failure(detected(Task.LOCAL, "dog", "cat", false, 0f, null))).contains(
                "where the mask is, 'cat' must be found and 'dog' not: they score 0.000 and (no score) in the edited image");
        assertThat(filter.failure(detected(Task.LOCAL, "dog", "cat", true, 0.9f, 0f))).isEmpty();
        assertThat(filter.failure(sample(Task.LOCAL, 0.2f))).as("not judged").isEmpty();
        FilterChain chain = defaults.chain(false, false, false, true, EnumSet.noneOf(Task.class));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> chain.check(add))
                .isInstanceOf(FilterChain.FilterRefusal.class).hasMessageContaining("FILTER_DETECTOR_CHECK: the added 'red ball'");
    }

    private static org.editstream.schema.EditSample detected(Task task, String original, String edited, boolean passed,
                                                            Float present, Float absent) {
        org.editstream.schema.EditSample s = sample(task, 0.2f);
        s.setOriginalObject(original);
        s.setEditedObject(edited);
        s.setScores(org.editstream.schema.Scores.newBuilder(s.getScores()).setDetectorCheck(passed).setDetectorPresent(present)
                .setDetectorAbsent(absent).build());
        return s;
    }

    private static org.editstream.schema.EditSample sample(Task task, Float maskArea) {
        org.editstream.schema.EditSample s = new org.editstream.schema.EditSample();
        s.setTask(task);
        s.setScores(org.editstream.schema.Scores.newBuilder().setPixelL1(0.2f).setMaskArea(maskArea).build());
        return s;
    }
}
