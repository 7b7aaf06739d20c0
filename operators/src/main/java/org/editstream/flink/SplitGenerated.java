package org.editstream.flink;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.schema.EditSample;

/** Samples go on; rejections of the generation stage go to the rejections side output. */
public class SplitGenerated extends ProcessFunction<Generated, EditSample> {
    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(Generated generated, Context ctx, Collector<EditSample> out) {
        if (generated.sample != null) {
            out.collect(generated.sample);
        } else {
            ctx.output(Rejected.TAG, generated.rejection);
        }
    }
}
