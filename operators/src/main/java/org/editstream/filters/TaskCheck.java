package org.editstream.filters;

import org.editstream.rejections.Refusal;
import org.editstream.schema.EditSample;
import org.editstream.schema.GenerationParameters;
import org.editstream.schema.Reason;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;
import org.editstream.tasks.TaskCatalogue;

import java.io.Serializable;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Emu Edit's task check, from the task predictor's scores: a sample whose instruction clearly reads as another
 * task (the predicted task leads the assigned one by at least {@code minLead}) is relabelled as that task when
 * both tasks' recipes make the same kind of pair ({@link TaskCatalogue#samePairKind}), and rejected with
 * TASK_MISMATCH otherwise. Samples without a prediction, or with a lead below the minimum, pass unchanged.
 */
public final class TaskCheck implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String NAME = "FILTER_TASK";
    /**
     * On instructions written for the test (operators' TaskPredictorTest): at 0.10 the check acts wrongly on
     * 2.5% of correctly labelled samples and catches 76% of samples labelled with the wrong task.
     */
    public static final double DEFAULT_MIN_LEAD = 0.10;
    /** Recorded in the generation parameters of a relabelled sample. */
    public static final String ASSIGNED_TASK = "assigned_task";

    private final double minLead;

    public TaskCheck(double minLead) {
        this.minLead = minLead;
    }

    public double minLead() {
        return minLead;
    }

    /** The sample as it goes on (relabelled or not), or a TASK_MISMATCH refusal. */
    public EditSample apply(EditSample sample) throws Refusal {
        Scores scores = sample.getScores();
        Task predicted = scores == null ? null : scores.getPredictedTask();
        Float lead = scores == null ? null : scores.getPredictedTaskMargin();
        if (predicted == null || lead == null || predicted == sample.getTask() || lead < minLead) {
            return sample;
        }
        String assigned = TaskCatalogue.nameOf(sample.getTask());
        String reads = TaskCatalogue.nameOf(predicted);
        if (!TaskCatalogue.samePairKind(sample.getTask(), predicted)) {
            throw new Refusal(Reason.TASK_MISMATCH, String.format(Locale.ROOT,
                    "%s: the instruction reads as %s (lead %.2f >= %.2f over %s); %s pairs cannot be relabelled %s",
                    NAME, reads, lead, minLead, assigned, assigned, reads));
        }
        Map<String, String> parameters = new TreeMap<>(sample.getGeneration().getParameters());
        parameters.put(ASSIGNED_TASK, assigned);
        GenerationParameters generation = GenerationParameters.newBuilder(sample.getGeneration()).setParameters(parameters).build();
        return EditSample.newBuilder(sample)
                .setTask(predicted)
                .setTaskIndex(predicted.ordinal())
                .setSampleId(Seeds.sampleId(sample.getCaptionId(), predicted, sample.getGeneration().getCandidateIndex()))
                .setGeneration(generation)
                .build();
    }
}
