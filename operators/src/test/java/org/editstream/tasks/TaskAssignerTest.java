package org.editstream.tasks;

import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskAssignerTest {
    private final EnabledTasks enabled = EnabledTasks.decide(EnumSet.of(Capability.EDGE_DETECTOR),
            EnumSet.of(Task.COLOR, Task.SKETCH, Task.TEXT));

    @Test
    void tasksMissingATooOrARecipeAreDisabledWithAReason() {
        assertThat(enabled.enabled()).containsExactlyInAnyOrder(Task.COLOR, Task.SKETCH);
        assertThat(enabled.whyDisabled(Task.TEXT)).contains("Tesseract");
        assertThat(enabled.whyDisabled(Task.LOCAL)).contains("diffusion").contains("object grounder (Grounding DINO in --models DIR/grounding-dino");
        assertThat(enabled.disabled()).hasSize(14);
    }

    @Test
    void mixIsFollowedAndDisabledTasksAreNeverAssigned() throws Refusal {
        TaskAssigner assigner = new TaskAssigner(enabled, TaskMix.parse("color=3,sketch=1,local=5"));
        Map<Task, Integer> counts = new EnumMap<>(Task.class);
        for (int i = 0; i < 4000; i++) {
            CaptionEvent c = CaptionEvent.newBuilder().setId("c" + i).setCaption("x").build();
            counts.merge(assigner.assign(c, Seeds.fromCaptionId(c.getId())), 1, Integer::sum);
        }
        assertThat(counts.keySet()).isEqualTo(Set.of(Task.COLOR, Task.SKETCH));
        assertThat(counts.get(Task.COLOR) / 4000.0).isBetween(0.72, 0.78);
    }

    @Test
    void hintIsHonouredWhenEnabledAndRefusedWhenNot() throws Refusal {
        TaskAssigner assigner = new TaskAssigner(enabled, TaskMix.parse("color=1"));
        assertThat(assigner.assign(CaptionEvent.newBuilder().setId("a").setCaption("x").setTaskHint("sketch").build(), 1))
                .isEqualTo(Task.SKETCH);
        assertThatThrownBy(() -> assigner.assign(CaptionEvent.newBuilder().setId("a").setCaption("x")
                .setTaskHint("local").build(), 1))
                .isInstanceOfSatisfying(Refusal.class, r -> assertThat(r.reason()).isEqualTo(Reason.TASK_DISABLED));
    }

    @Test
    void assignmentIsDeterministicFromTheSeed() throws Refusal {
        TaskAssigner assigner = new TaskAssigner(enabled, TaskMix.uniform());
        CaptionEvent c = CaptionEvent.newBuilder().setId("same").setCaption("x").build();
        assertThat(assigner.assign(c, 77)).isEqualTo(assigner.assign(c, 77));
    }

    @Test
    void badMixIsAClearError() {
        assertThatThrownBy(() -> TaskMix.parse("colour=1")).hasMessageContaining("unknown task 'colour'");
        assertThatThrownBy(() -> TaskMix.parse("color=lots")).hasMessageContaining("not a number");
    }
}
