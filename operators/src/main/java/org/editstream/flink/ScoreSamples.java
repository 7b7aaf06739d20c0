package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.perception.ScoringHost;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.editstream.schema.Scores;
import org.editstream.schema.Stage;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Scores each sample with this TaskManager's {@link ScoringHost} (CLIP similarities when a CLIP model is
 * configured, and the task predictor), so the filters that follow only compare numbers. Model failures become
 * rejections, never restarts.
 */
public class ScoreSamples extends RichAsyncFunction<EditSample, Outcome<EditSample>> {
    private static final long serialVersionUID = 1L;

    private final String clipFolder;
    private final ImageDecoder decoder;
    private transient ScoringHost host;
    private transient StageMetrics metrics;

    /** @param clipFolder a CLIP model folder, or null to score with the task predictor only */
    public ScoreSamples(Path clipFolder, ImageDecoder decoder) {
        this.clipFolder = clipFolder == null ? null : clipFolder.toString();
        this.decoder = decoder;
    }

    @Override
    public void open(OpenContext context) {
        host = ScoringHost.forClip(clipFolder == null ? null : Path.of(clipFolder));
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "score");
        metrics.group().gauge("queueDepth", () -> host.stats().queued());
        metrics.group().gauge("meanBatchSize", () -> host.stats().meanBatchSize());
    }

    @Override
    public void asyncInvoke(EditSample sample, ResultFuture<Outcome<EditSample>> result) {
        long start = System.nanoTime();
        ScoringHost.Request request;
        try {
            // the images are decoded only for CLIP: the task predictor reads the instruction alone
            boolean clip = host.hasClip();
            request = new ScoringHost.Request(clip ? image(sample.getInputImage()) : null,
                    clip ? image(sample.getEditedImage()) : null,
                    sample.getInputCaption(), sample.getOutputCaption(), sample.getInstruction(), sample.getTask());
        } catch (Refusal refusal) {
            result.complete(List.of(reject(sample, refusal.reason(), refusal.detail())));
            return;
        }
        host.score(request).whenComplete((scored, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                result.complete(List.of(reject(sample, Reason.MODEL_FAILURE, "scoring failed: " + cause)));
                return;
            }
            Scores.Builder scores = Scores.newBuilder(sample.getScores())
                    .setPredictedTask(scored.prediction().task())
                    .setPredictedTaskMargin((float) scored.lead(sample.getTask()));
            if (scored.clip() != null) {
                scores.setClipImage(finite(scored.clip().image()))
                        .setClipOutput(finite(scored.clip().output()))
                        .setClipDirection(finite(scored.clip().direction()));
            }
            metrics.recordOut(sample.getTask());
            metrics.secondsPerRecord(System.nanoTime() - start);
            result.complete(List.of(Outcome.of(EditSample.newBuilder(sample).setScores(scores.build()).build())));
        });
    }

    @Override
    public void timeout(EditSample sample, ResultFuture<Outcome<EditSample>> result) {
        result.complete(List.of(reject(sample, Reason.MODEL_FAILURE, "scoring timed out")));
    }

    private BufferedImage image(ImageRef ref) throws Refusal {
        byte[] bytes = ImageRefs.inlineBytes(ref);
        if (bytes == null) {
            throw new Refusal(Reason.MODEL_FAILURE, "the scorer reads inline images; this one is at " + ref.getUri());
        }
        return decoder.decode(bytes);
    }

    private static Float finite(double value) {
        return Double.isFinite(value) ? (float) value : null;
    }

    private Outcome<EditSample> reject(EditSample sample, Reason reason, String detail) {
        metrics.rejected(reason);
        return Outcome.rejected(Rejections.of(sample.getCaptionId(), Stage.FILTER, reason, detail, sample.getTask(), 0));
    }
}
