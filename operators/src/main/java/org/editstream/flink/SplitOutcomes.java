package org.editstream.flink;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Values go on; rejections of an asynchronous stage go to the rejections side output. */
public class SplitOutcomes<T> extends ProcessFunction<Outcome<T>, T> implements ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;

    public SplitOutcomes(Class<T> type) {
        this.type = type;
    }

    @Override
    public void processElement(Outcome<T> outcome, Context ctx, Collector<T> out) {
        if (outcome.value != null) {
            out.collect(outcome.value);
        } else {
            ctx.output(Rejected.TAG, outcome.rejection);
        }
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return TypeInformation.of(type);
    }
}
