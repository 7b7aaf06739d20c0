package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.filters.Filter;
import org.editstream.filters.FilterChain;
import org.editstream.filters.RecordSizeLimit;
import org.editstream.filters.TaskCheck;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditSample;
import org.editstream.schema.Stage;
import org.editstream.tasks.TaskCatalogue;

/**
 * Checks each scored sample's task against the task predictor ({@link TaskCheck}: relabel or TASK_MISMATCH),
 * keeps the samples that pass every filter, and fits them to the record size limit; the rest leave as
 * rejections naming the filter and the score against its threshold. Pass rates per task and filter are metrics.
 */
public class FilterSamples extends ProcessFunction<EditSample, EditSample> {
    private static final long serialVersionUID = 1L;

    private final TaskCheck taskCheck;
    private final FilterChain filters;
    private final int maxRecordBytes;
    private final ImageStoreSettings storeSettings;
    private transient RecordSizeLimit sizeLimit;
    private transient StageMetrics metrics;

    public FilterSamples(TaskCheck taskCheck, FilterChain filters, int maxRecordBytes, ImageStoreSettings storeSettings) {
        this.taskCheck = taskCheck;
        this.filters = filters;
        this.maxRecordBytes = maxRecordBytes;
        this.storeSettings = storeSettings;
    }

    @Override
    public void open(OpenContext context) {
        sizeLimit = new RecordSizeLimit(maxRecordBytes, storeSettings.open());
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "filter");
    }

    @Override
    public void processElement(EditSample scored, Context ctx, Collector<EditSample> out) {
        String task = TaskCatalogue.nameOf(scored.getTask());
        EditSample sample;
        try {
            sample = taskCheck.apply(scored);
        } catch (Refusal mismatch) {
            metrics.count("filter", TaskCheck.NAME, "rejected_" + task);
            metrics.rejected(mismatch.reason());
            ctx.output(Rejected.TAG, Rejections.of(scored.getCaptionId(), Stage.FILTER, mismatch, scored.getTask(), 0));
            return;
        }
        metrics.count("filter", TaskCheck.NAME, (sample.getTask() == scored.getTask() ? "passed_" : "relabelled_") + task);
        try {
            filters.check(sample);
            for (Filter filter : filters.filters()) {
                metrics.count("filter", filter.name(), "passed_" + task);
            }
            EditSample fitted = sizeLimit.fit(sample);
            metrics.recordOut(sample.getTask());
            out.collect(fitted);
        } catch (FilterChain.FilterRefusal refusal) {
            metrics.count("filter", refusal.filter(), "rejected_" + task);
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(sample.getCaptionId(), Stage.FILTER, refusal, sample.getTask(), 0));
        } catch (Refusal refusal) {
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(sample.getCaptionId(), Stage.SINK, refusal, sample.getTask(), 0));
        }
    }
}
