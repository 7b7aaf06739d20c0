package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.imaging.ImageDecoder;
import org.editstream.recipes.RecipeBook;
import org.editstream.recipes.SampleMaker;
import org.editstream.rejections.Refusal;
import org.editstream.rejections.Rejections;
import org.editstream.schema.EditRequest;
import org.editstream.schema.EditSample;
import org.editstream.schema.Stage;
import org.editstream.schema.Task;

import java.util.Set;

/**
 * Makes the (input, edited) pair of each request with its task's recipe (see {@link SampleMaker}). Recipes
 * and their native tools are opened once per operator instance and closed with it.
 */
public class MakePairs extends ProcessFunction<EditRequest, EditSample> {
    private static final long serialVersionUID = 1L;

    private final RecipeBook.Tools tools;
    private final Set<Task> tasks;
    private final ImageDecoder decoder;
    private final ImageStoreSettings storeSettings;
    private final String jobVersion;
    private transient RecipeBook recipes;
    private transient SampleMaker maker;
    private transient StageMetrics metrics;

    public MakePairs(RecipeBook.Tools tools, Set<Task> tasks, ImageDecoder decoder, ImageStoreSettings storeSettings,
                     String jobVersion) {
        this.tools = tools;
        this.tasks = Set.copyOf(tasks);
        this.decoder = decoder;
        this.storeSettings = storeSettings;
        this.jobVersion = jobVersion;
    }

    @Override
    public void open(OpenContext context) {
        ModelRelease.withJobClassLoader(getRuntimeContext());
        recipes = RecipeBook.open(tools, tasks);
        maker = new SampleMaker(recipes, decoder, storeSettings.open(), jobVersion);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "generate");
    }

    @Override
    public void processElement(EditRequest request, Context ctx, Collector<EditSample> out) {
        long start = System.nanoTime();
        try {
            EditSample sample = maker.make(request);
            metrics.recordOut(request.getTask());
            metrics.secondsPerRecord(System.nanoTime() - start);
            out.collect(sample);
        } catch (Refusal refusal) {
            metrics.rejected(refusal.reason());
            ctx.output(Rejected.TAG, Rejections.of(request.getCaption().getId(), stageOf(refusal), refusal,
                    request.getTask(), request.getAttempt()));
        }
    }

    /** Image problems are the image stage's; everything else is generation. */
    private static Stage stageOf(Refusal refusal) {
        return switch (refusal.reason()) {
            case NO_INPUT_IMAGE, IMAGE_UNDECODABLE, IMAGE_TOO_LARGE, IMAGE_URI_NOT_ALLOWED, IMAGE_URI_UNREACHABLE -> Stage.IMAGE;
            default -> Stage.GENERATE;
        };
    }

    @Override
    public void close() {
        if (recipes != null) {
            recipes.close();
        }
    }
}
