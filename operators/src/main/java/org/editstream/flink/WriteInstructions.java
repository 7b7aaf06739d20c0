package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.instruct.InstructionWriter;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditRequest;
import org.editstream.schema.Instruction;
import org.editstream.schema.Stage;

import java.io.Serializable;

/** Writes the instruction of each request through the configured {@link InstructionWriter}. */
public class WriteInstructions extends ProcessFunction<EditRequest, EditRequest> {
    private static final long serialVersionUID = 1L;

    private final InstructionWriter writer;
    private transient StageMetrics metrics;

    public <W extends InstructionWriter & Serializable> WriteInstructions(W writer) {
        this.writer = writer;
    }

    @Override
    public void open(OpenContext context) {
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "instruct");
    }

    @Override
    public void processElement(EditRequest request, Context ctx, Collector<EditRequest> out) {
        try {
            Instruction instruction = writer.write(request.getCaption(), request.getTask(), request.getSeed());
            metrics.recordOut(request.getTask());
            out.collect(EditRequest.newBuilder(request).setInstruction(instruction).build());
        } catch (Refusal refusal) {
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(request.getCaption().getId(), Stage.INSTRUCT, refusal,
                    request.getTask(), request.getAttempt()));
        }
    }
}
