package org.editstream.filters;

import org.editstream.rejections.Refusal;
import org.editstream.schema.EditSample;
import org.editstream.schema.GenerationParameters;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Lineage;
import org.editstream.schema.Reason;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Relabel, reject or keep, from the task predictor's reading and its lead over the assigned task. */
class TaskCheckTest {
    private final TaskCheck check = new TaskCheck(0.10);

    private static EditSample sample(Task task, Task predicted, Float lead) {
        EditSample s = new EditSample();
        s.setCaptionId("cap-9");
        s.setTask(task);
        s.setTaskIndex(task.ordinal());
        s.setSampleId(Seeds.sampleId("cap-9", task, 0));
        s.setGeneration(GenerationParameters.newBuilder().setRecipe("r").setSeed(1).setParameters(Map.of("k", "v")).build());
        s.setScores(Scores.newBuilder().setPredictedTask(predicted).setPredictedTaskMargin(lead).build());
        s.setInstruction("an instruction");
        s.setInputCaption("a caption");
        s.setInputImage(ImageRef.newBuilder().setUri("file:///in.png").build());
        s.setEditedImage(ImageRef.newBuilder().setUri("file:///out.png").build());
        s.setLineage(Lineage.newBuilder().setPromptTemplateVersion("t").setJobVersion("j").setCreatedAt(java.time.Instant.EPOCH).build());
        return s;
    }

    @Test
    void keepsAgreeingUnsureAndUnscoredSamples() throws Refusal {
        for (EditSample s : List.of(sample(Task.LOCAL, Task.LOCAL, 0.3f), sample(Task.COLOR, Task.LOCAL, 0.09f),
                sample(Task.COLOR, null, null))) {
            assertThat(check.apply(s)).isSameAs(s);
        }
    }

    @Test
    void relabelsWhenTheOtherTaskMakesTheSameKindOfPair() throws Refusal {
        EditSample moved = check.apply(sample(Task.LOCAL, Task.TEXTURE, 0.12f));
        assertThat(moved.getTask()).isEqualTo(Task.TEXTURE);
        assertThat(moved.getTaskIndex()).isEqualTo(Task.TEXTURE.ordinal());
        assertThat(moved.getSampleId()).isEqualTo(Seeds.sampleId("cap-9", Task.TEXTURE, 0));
        assertThat(moved.getGeneration().getParameters()).containsEntry(TaskCheck.ASSIGNED_TASK, "local").containsEntry("k", "v");
        assertThat(check.apply(sample(Task.STYLE, Task.GLOBAL, 0.2f)).getTask()).isEqualTo(Task.GLOBAL);
    }

    @Test
    void rejectsWhenThePairWouldNotFitThePredictedTask() {
        Refusal r = catchThrowableOfType(Refusal.class, () -> check.apply(sample(Task.COLOR, Task.LOCAL, 0.14f)));
        assertThat(r.reason()).isEqualTo(Reason.TASK_MISMATCH);
        assertThat(r.detail()).isEqualTo("FILTER_TASK: the instruction reads as local (lead 0.14 >= 0.10 over color); "
                + "color pairs cannot be relabelled local");
    }

    @Test
    void onlyLocalTextureAndGlobalStyleShareAKindOfPair() {
        for (Task a : Task.values()) {
            for (Task b : Task.values()) {
                boolean expected = a == b || EnumSet.of(Task.LOCAL, Task.TEXTURE).containsAll(EnumSet.of(a, b))
                        || EnumSet.of(Task.GLOBAL, Task.STYLE).containsAll(EnumSet.of(a, b));
                assertThat(org.editstream.tasks.TaskCatalogue.samePairKind(a, b)).as(a + "/" + b).isEqualTo(expected);
            }
        }
    }
}
