package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.ImageStore;
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
        store = storeSettings.open();
        host = GenerationHost.forFolder(tools.diffusionFolder(), tools.diffusionSteps(), tools.clipFolder());
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "generate");
        metrics.group().gauge("queueDepth", () -> host.stats().queued());
        metrics.group().gauge("meanBatchSize", () -> host.stats().meanBatchSize());
    }

    @Override
    public void asyncInvoke(EditRequest request, ResultFuture<Outcome<EditSample>> result) {
        long start = System.nanoTime();
        var caption = request.getCaption();
        var instruction = request.getInstruction();
        BufferedImage image;
        try {
            // the caption's own image, inline or from the store, for the recipes that use a given image (style)
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
                        instruction == null ? null : instruction.getOutputCaption(), image, request.getSeed()))
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
