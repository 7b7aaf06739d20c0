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
        assertThat(settings.chain(false, EnumSet.of(Task.GLOBAL)).filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1");
        FilterChain chain = settings.chain(true, EnumSet.of(Task.GLOBAL));
        assertThat(chain.filters()).extracting(Filter::name)
                .containsExactly("FILTER_PIXEL_L1", "FILTER_CLIP_IMG", "FILTER_CLIP_DIR", "FILTER_CLIP_OUT");
        ScoreThreshold image = (ScoreThreshold) chain.filters().get(1);
        ScoreThreshold direction = (ScoreThreshold) chain.filters().get(2);
        assertThat(image.minimum()).containsExactly(Map.entry(Task.GLOBAL, 0.75));
        assertThat(direction.minimum()).containsOnly(Map.entry(Task.GLOBAL, 0.15), Map.entry(Task.COLOR, 0.05));
    }
}
