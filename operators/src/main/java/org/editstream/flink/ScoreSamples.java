package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.perception.DetectorCheck;
import org.editstream.perception.GroundingHost;
import org.editstream.perception.ScoringHost;
import org.editstream.recipes.GrounderSpec;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.editstream.schema.Scores;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Scores each sample with this TaskManager's {@link ScoringHost} (CLIP similarities, DINO similarity and the
 * structure distance when their models are configured, and the task predictor) and, with a grounder, runs the
 * {@link DetectorCheck} on add, remove and local samples, so the filters that follow only compare numbers. Model
 * failures become rejections, never restarts.
 */
public class ScoreSamples extends RichAsyncFunction<EditSample, Outcome<EditSample>> {
    private static final long serialVersionUID = 1L;

    private final String clipFolder;
    private final String depthFolder;
    private final String dinoFolder;
    private final EnumSet<Task> structureTasks;
    private final ImageDecoder decoder;
    private final GrounderSpec detector;
    private transient ScoringHost host;
    private transient DetectorCheck check;
    private transient ExecutorService checking;
    private transient StageMetrics metrics;

    /**
     * @param models         the scoring models' folders (all null: the task predictor only)
     * @param structureTasks the tasks whose samples get a structure distance (with a depth model)
     * @param detector       the grounder of the detector check, or null for no check
     */
    public ScoreSamples(ScoringHost.Models models, Set<Task> structureTasks, ImageDecoder decoder, GrounderSpec detector) {
        this.clipFolder = string(models.clip());
        this.depthFolder = string(models.depth());
        this.dinoFolder = string(models.dino());
        this.structureTasks = structureTasks.isEmpty() ? EnumSet.noneOf(Task.class) : EnumSet.copyOf(structureTasks);
        this.decoder = decoder;
        this.detector = detector;
    }

    private static String string(Path p) {
        return p == null ? null : p.toString();
    }

    private static Path path(String s) {
        return s == null ? null : Path.of(s);
    }

    @Override
    public void open(OpenContext context) {
        ModelRelease.withJobClassLoader(getRuntimeContext());
        host = ScoringHost.forModels(new ScoringHost.Models(path(clipFolder), path(depthFolder), path(dinoFolder)));
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "score");
        metrics.group().gauge("queueDepth", () -> host.stats().queued());
        metrics.group().gauge("meanBatchSize", () -> host.stats().meanBatchSize());
        if (detector != null) {
            check = new DetectorCheck(detector.boxes());
            // the grounder's calls wait for their batch: as many in flight as one of its batches holds
            String name = "detector-check-" + getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            checking = Executors.newFixedThreadPool(GroundingHost.MAX_BATCH, runnable -> {
                Thread thread = new Thread(runnable, name);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    @Override
    public void close() {
        if (checking != null) {
            checking.shutdownNow();
        }
    }

    @Override
    public void asyncInvoke(EditSample sample, ResultFuture<Outcome<EditSample>> result) {
        long start = System.nanoTime();
        ScoringHost.Request request;
        CompletableFuture<DetectorCheck.Verdict> verdict;
        try {
            // the images are decoded only for the models that read them: the task predictor reads the instruction alone
            boolean detect = check != null && DetectorCheck.judges(sample.getTask(), sample.getOriginalObject(), sample.getEditedObject());
            boolean images = host.readsImages() || detect;
            BufferedImage input = images ? image(sample.getInputImage()) : null;
            BufferedImage edited = images ? image(sample.getEditedImage()) : null;
            request = new ScoringHost.Request(host.readsImages() ? input : null, host.readsImages() ? edited : null,
                    sample.getInputCaption(), sample.getOutputCaption(), sample.getInstruction(), sample.getTask(),
                    host.hasDepth() && structureTasks.contains(sample.getTask()));
            BufferedImage mask = detect && sample.getMask() != null ? image(sample.getMask()) : null;
            verdict = !detect ? CompletableFuture.completedFuture(null) : CompletableFuture.supplyAsync(() -> check.judge(
                    sample.getTask(), input, edited, sample.getOriginalObject(), sample.getEditedObject(), mask), checking);
        } catch (Refusal refusal) {
            result.complete(List.of(reject(sample, refusal.reason(), refusal.detail())));
            return;
        }
        host.score(request).thenCombine(verdict, Scored::new).whenComplete((both, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                result.complete(List.of(reject(sample, Reason.MODEL_FAILURE, "scoring failed: " + cause)));
                return;
            }
            ScoringHost.Result scored = both.scores();
            Scores.Builder scores = Scores.newBuilder(sample.getScores())
                    .setPredictedTask(scored.prediction().task())
                    .setPredictedTaskMargin((float) scored.lead(sample.getTask()));
            if (scored.clip() != null) {
                scores.setClipImage(finite(scored.clip().image()))
                        .setClipOutput(finite(scored.clip().output()))
                        .setClipDirection(finite(scored.clip().direction()));
            }
            if (scored.dinoSimilarity() != null) {
                scores.setDinoSimilarity(finite(scored.dinoSimilarity()));
            }
            if (scored.structureL1() != null) {
                scores.setStructureL1(finite(scored.structureL1()));
            }
            if (both.verdict() != null) {
                scores.setDetectorCheck(both.verdict().passed())
                        .setDetectorPresent(finite(both.verdict().present()))
                        .setDetectorAbsent(finite(both.verdict().absent()));
            }
            metrics.recordOut(sample.getTask());
            metrics.secondsPerRecord(System.nanoTime() - start);
            result.complete(List.of(Outcome.of(EditSample.newBuilder(sample).setScores(scores.build()).build())));
        });
    }

    /** A sample's scores and its detector check's verdict (null when not judged). */
    private record Scored(ScoringHost.Result scores, DetectorCheck.Verdict verdict) {
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
