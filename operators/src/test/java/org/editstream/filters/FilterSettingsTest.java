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
        assertThat(settings.chain(false, false, false, EnumSet.of(Task.GLOBAL)).filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1");
        FilterChain chain = settings.chain(true, false, false, EnumSet.of(Task.GLOBAL));
        assertThat(chain.filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_CLIP_IMG", "FILTER_CLIP_DIR", "FILTER_CLIP_OUT");
        ScoreThreshold image = (ScoreThreshold) chain.filters().get(1);
        ScoreThreshold direction = (ScoreThreshold) chain.filters().get(2);
        assertThat(image.limits()).containsExactly(Map.entry(Task.GLOBAL, 0.75));
        assertThat(direction.limits()).containsOnly(Map.entry(Task.GLOBAL, 0.15), Map.entry(Task.COLOR, 0.05));
    }

    @Test
    void dinoAndStructureLimitsJoinWithTheirModels() {
        FilterSettings settings = FilterSettings.defaults().withMinDinoSimilarity(Map.of(Task.COLOR, 0.8))
                .withMaxStructureL1(Map.of(Task.GLOBAL, 0.3, Task.LOCAL, 0.2));
        FilterChain chain = settings.chain(false, true, true, EnumSet.of(Task.GLOBAL, Task.STYLE));
        assertThat(chain.filters()).extracting(Filter::name).containsExactly("FILTER_PIXEL_L1", "FILTER_DINO", "FILTER_STRUCTURE");
        ScoreThreshold dino = (ScoreThreshold) chain.filters().get(1);
        assertThat(dino.limits()).containsOnly(Map.entry(Task.GLOBAL, FilterSettings.DINO_MINIMUM),
                Map.entry(Task.STYLE, FilterSettings.DINO_MINIMUM), Map.entry(Task.COLOR, 0.8));
        ScoreThreshold structure = (ScoreThreshold) chain.filters().get(2);
        assertThat(structure.limits()).containsEntry(Task.GLOBAL, 0.3).containsEntry(Task.LOCAL, 0.2)
                .containsEntry(Task.COLOR, FilterSettings.STRUCTURE_DEFAULTS.get(Task.COLOR)).doesNotContainKey(Task.REMOVE);
        assertThat(settings.structureTasks()).isEqualTo(structure.limits().keySet());
        assertThat(settings.chain(false, false, false, EnumSet.of(Task.GLOBAL)).filters()).hasSize(1);
    }
}
