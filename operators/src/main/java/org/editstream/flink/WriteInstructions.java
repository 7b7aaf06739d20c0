package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.editstream.instruct.Agents;
import org.editstream.instruct.ChatClient;
import org.editstream.instruct.InstructionRouting;
import org.editstream.instruct.LlmInstructionWriter;
import org.editstream.instruct.TemplateInstructionWriter;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditRequest;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Stage;

import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Writes the instruction of each request: the task's LLM agent over the configured chat server, or the
 * templates ({@link InstructionRouting}). Template instructions complete at once; LLM requests go through
 * this TaskManager's shared {@link ChatClient} (its concurrency limit, retries and circuit breaker). Every
 * failure completes as a rejection with its reason, never as an exception that restarts the job. In-flight
 * requests are in the checkpoint and re-issued on restore with the same prompt and seed.
 */
public class WriteInstructions extends RichAsyncFunction<EditRequest, Outcome<EditRequest>> {
    private static final long serialVersionUID = 1L;

    private final InstructionRouting routing;
    private final TemplateInstructionWriter templates = new TemplateInstructionWriter();
    private transient LlmInstructionWriter agents;
    private transient StageMetrics metrics;

    public WriteInstructions(InstructionRouting routing) {
        this.routing = routing;
    }

    @Override
    public void open(OpenContext context) {
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "instruct");
        if (routing.llm() != null) {
            ChatClient client = ChatClient.shared(routing.llm());
            agents = new LlmInstructionWriter(client, Agents.bundled());
            metrics.group().gauge("llmInFlight", client::inFlight);
            metrics.group().gauge("llmQueued", client::queued);
            metrics.group().gauge("llmCircuitOpen", () -> client.circuitState().equals("CLOSED") ? 0 : 1);
        }
    }

    @Override
    public void asyncInvoke(EditRequest request, ResultFuture<Outcome<EditRequest>> result) {
        if (!routing.usesLlm(request.getTask())) {
            try {
                Instruction instruction = templates.write(request.getCaption(), request.getTask(), request.getSeed());
                result.complete(List.of(accepted(request, instruction)));
            } catch (Refusal refusal) {
                result.complete(List.of(reject(request, refusal.reason(), refusal.detail())));
            }
            return;
        }
        agents.write(request.getCaption(), request.getTask(), request.getSeed(), request.getAttempt())
                .whenComplete((written, error) -> {
                    if (error == null) {
                        metrics.latencyMillis(request.getTask(), "llmLatencyMs", written.latencyNanos());
                        metrics.count("task", name(request), "llmPromptTokens", written.promptTokens());
                        metrics.count("task", name(request), "llmCompletionTokens", written.completionTokens());
                        metrics.count("task", name(request), "llmCalls", written.calls());
                        if (written.instruction().getIntent().keySet().stream().anyMatch(k -> k.endsWith("_by"))) {
                            metrics.count("task", name(request), "objectNamesByRule");
                        }
                        result.complete(List.of(accepted(request, written.instruction())));
                        return;
                    }
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    if (cause instanceof Refusal refusal) {
                        result.complete(List.of(reject(request, refusal.reason(), refusal.detail())));
                    } else {
                        result.complete(List.of(reject(request, Reason.LLM_HTTP_ERROR, "instruction request failed: " + cause)));
                    }
                });
    }

    @Override
    public void timeout(EditRequest request, ResultFuture<Outcome<EditRequest>> result) {
        result.complete(List.of(reject(request, Reason.LLM_TIMEOUT,
                "instruction not written in time (queued behind the LLM's concurrency limit or retrying)")));
    }

    private Outcome<EditRequest> accepted(EditRequest request, Instruction instruction) {
        metrics.recordOut(request.getTask());
        return Outcome.of(EditRequest.newBuilder(request).setInstruction(instruction).build());
    }

    private Outcome<EditRequest> reject(EditRequest request, Reason reason, String detail) {
        metrics.rejected(reason);
        metrics.count("task", name(request), "rejected_" + reason.name());
        return Outcome.rejected(Rejections.of(request.getCaption().getId(), Stage.INSTRUCT, reason, detail,
                request.getTask(), request.getAttempt()));
    }

    private static String name(EditRequest request) {
        return request.getTask().name().toLowerCase(java.util.Locale.ROOT);
    }
}
