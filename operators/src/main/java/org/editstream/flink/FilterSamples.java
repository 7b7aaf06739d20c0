package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.filters.Filter;
import org.editstream.filters.FilterChain;
import org.editstream.filters.RecordSizeLimit;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditSample;
import org.editstream.schema.Stage;
import org.editstream.tasks.TaskCatalogue;

/**
 * Keeps the samples that pass every filter, and fits them to the record size limit; the rest leave as
 * rejections naming the filter and the score against its threshold. Pass rates per task and filter are metrics.
 */
public class FilterSamples extends ProcessFunction<EditSample, EditSample> {
    private static final long serialVersionUID = 1L;

    private final FilterChain filters;
    private final int maxRecordBytes;
    private final ImageStoreSettings storeSettings;
    private transient RecordSizeLimit sizeLimit;
    private transient StageMetrics metrics;

    public FilterSamples(FilterChain filters, int maxRecordBytes, ImageStoreSettings storeSettings) {
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
    public void processElement(EditSample sample, Context ctx, Collector<EditSample> out) {
        String task = TaskCatalogue.nameOf(sample.getTask());
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
