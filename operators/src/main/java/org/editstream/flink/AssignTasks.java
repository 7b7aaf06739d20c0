package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.captions.CaptionValidator;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditRequest;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;
import org.editstream.tasks.EnabledTasks;
import org.editstream.tasks.TaskAssigner;
import org.editstream.tasks.TaskCatalogue;

/** Assigns each caption its task; also reports which tasks are enabled as gauges. */
public class AssignTasks extends ProcessFunction<CaptionEvent, EditRequest> {
    private static final long serialVersionUID = 1L;

    private final EnabledTasks enabled;
    private final TaskAssigner assigner;
    private transient StageMetrics metrics;

    public AssignTasks(EnabledTasks enabled, TaskAssigner assigner) {
        this.enabled = enabled;
        this.assigner = assigner;
    }

    @Override
    public void open(OpenContext context) {
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "assign");
        int disabled = enabled.disabled().size();
        metrics.group().gauge("tasksDisabled", (Gauge<Integer>) () -> disabled);
        for (Task task : Task.values()) {
            int on = enabled.isEnabled(task) ? 1 : 0;
            metrics.group().addGroup("task", TaskCatalogue.nameOf(task)).gauge("enabled", (Gauge<Integer>) () -> on);
        }
    }

    @Override
    public void processElement(CaptionEvent caption, Context ctx, Collector<EditRequest> out) {
        long seed = CaptionValidator.seedOf(caption);
        try {
            Task task = assigner.assign(caption, seed);
            metrics.recordOut(task);
            out.collect(EditRequest.newBuilder().setCaption(caption).setTask(task).setSeed(seed).build());
        } catch (Refusal refusal) {
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(caption.getId(), Stage.ASSIGN, refusal, null, 0));
        }
    }
}
