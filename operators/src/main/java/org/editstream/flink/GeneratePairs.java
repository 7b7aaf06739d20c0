package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.ImageStore;
import org.editstream.instruct.LlmInstructionWriter;
import org.editstream.models.Batcher;
import org.editstream.recipes.GenerationHost;
import org.editstream.recipes.RecipeBook;
import org.editstream.recipes.SampleMaker;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditRequest;
import org.editstream.schema.EditSample;
import org.editstream.schema.Reason;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Hands each request of a generated task to this TaskManager's {@link GenerationHost} (models loaded once per
 * JVM, one worker per device) and completes with the sample or the rejection. In-flight requests are in the
 * checkpoint and re-issued on restore; the pair is deterministic from the caption's seed, so a replay makes
 * the same sample.
 */
public class GeneratePairs extends RichAsyncFunction<EditRequest, Outcome<EditSample>> {
    private static final long serialVersionUID = 1L;

    private final RecipeBook.Tools tools;
    private final String jobVersion;
    private final ImageDecoder decoder;
    private final ImageStoreSettings storeSettings;
    private transient ImageStore store;
    private transient GenerationHost host;
    private transient StageMetrics metrics;

    public GeneratePairs(RecipeBook.Tools tools, String jobVersion, ImageDecoder decoder, ImageStoreSettings storeSettings) {
        this.tools = tools;
        this.jobVersion = jobVersion;
        this.decoder = decoder;
        this.storeSettings = storeSettings;
    }

    @Override
    public void open(OpenContext context) {
        ModelRelease.withJobClassLoader(getRuntimeContext());
        store = storeSettings.open();
        host = GenerationHost.of(tools.generation());
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "generate");
        // the host is shared by this JVM's slots: these gauges are per TaskManager, the same in each of its subtasks
        metrics.group().gauge("queueDepth", () -> host.stats().queued());
        metrics.group().gauge("meanBatchSize", () -> host.stats().meanBatchSize());
        metrics.group().gauge("batchesSplitForMemory", () -> host.stats().splits());
        metrics.group().gauge("deviceBusySeconds", () -> host.stats().busyNanos() / 1e9);
        metrics.group().gauge("deviceSecondsPerSample", () -> host.stats().busySecondsPerRequest());
        metrics.group().gauge("cpuSecondsPerSample", () -> host.stats().cpuSecondsPerRequest());
    }

    @Override
    public void asyncInvoke(EditRequest request, ResultFuture<Outcome<EditSample>> result) {
        long start = System.nanoTime();
        var caption = request.getCaption();
        var instruction = request.getInstruction();
        BufferedImage image;
        try {
            // the caption's own image, inline or from the store, for the recipes that use a given image (style, background)
            image = null;
            if (caption.getImage() != null) {
                byte[] bytes = ImageRefs.inlineBytes(caption.getImage());
                image = decoder.decode(bytes != null ? bytes : store.read(caption.getImage().getUri()));
            }
        } catch (Refusal refusal) {
            result.complete(List.of(reject(request, refusal.reason(), refusal.detail())));
            return;
        }
        host.make(new GenerationHost.Job(request.getTask(), caption.getCaption(),
                        instruction == null ? null : instruction.getOutputCaption(), groundName(request), image,
                        request.getSeed()))
                .whenComplete((pair, error) -> {
                    try {
                        if (error != null) {
                            throw error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                        }
                        result.complete(List.of(Outcome.of(SampleMaker.assemble(request, GenerationHost.recipeName(request.getTask()), pair, jobVersion))));
                        metrics.recordOut(request.getTask());
                        metrics.secondsPerRecord(System.nanoTime() - start);
                    } catch (Refusal refusal) {
                        result.complete(List.of(reject(request, refusal.reason(), refusal.detail())));
                    } catch (Batcher.OutOfDeviceMemory oom) {
                        result.complete(List.of(reject(request, Reason.MODEL_OUT_OF_MEMORY, oom.getMessage())));
                    } catch (Throwable failure) {
                        result.complete(List.of(reject(request, Reason.MODEL_FAILURE, String.valueOf(failure))));
                    }
                });
    }

    /**
     * The object the recipe grounds: the added object for add, else the original one; the agent's stripped name
     * when it gave one.
     */
    static String groundName(EditRequest request) {
        var instruction = request.getInstruction();
        if (instruction == null) {
            return null;
        }
        boolean add = request.getTask() == Task.ADD;
        String stripped = instruction.getIntent().get(add ? LlmInstructionWriter.GROUND_EDITED : LlmInstructionWriter.GROUND_ORIGINAL);
        if (stripped != null) {
            return stripped;
        }
        return add ? instruction.getEditedObject() : instruction.getOriginalObject();
    }

    @Override
    public void timeout(EditRequest request, ResultFuture<Outcome<EditSample>> result) {
        result.complete(List.of(reject(request, Reason.MODEL_FAILURE, "generation timed out")));
    }

    private Outcome<EditSample> reject(EditRequest request, Reason reason, String detail) {
        metrics.rejected(reason);
        return Outcome.rejected(Rejections.of(request.getCaption().getId(), Stage.GENERATE, reason, detail,
                request.getTask(), request.getAttempt()));
    }
}
