package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.captions.CaptionValidator;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Stage;

/** Checks every caption before work is spent on it (see {@link CaptionValidator}). */
public class ValidateCaptions extends ProcessFunction<CaptionEvent, CaptionEvent> {
    private static final long serialVersionUID = 1L;

    private final CaptionValidator validator;
    private transient StageMetrics metrics;

    public ValidateCaptions(CaptionValidator validator) {
        this.validator = validator;
    }

    @Override
    public void open(OpenContext context) {
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "validate");
    }

    @Override
    public void processElement(CaptionEvent event, Context ctx, Collector<CaptionEvent> out) {
        try {
            CaptionEvent valid = validator.validate(event);
            metrics.recordOut(null);
            out.collect(valid);
        } catch (Refusal refusal) {
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(event.getId(), Stage.VALIDATE, refusal, null, 0));
        }
    }
}
