package org.editstream.export;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.editstream.imaging.ImageRefs;
import org.editstream.schema.EditSample;
import org.editstream.schema.GenerationParameters;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Lineage;
import org.editstream.schema.Scores;
import org.editstream.schema.export.Image;
import org.editstream.schema.export.ImageInfo;
import org.editstream.schema.export.RowGeneration;
import org.editstream.schema.export.RowLineage;
import org.editstream.schema.export.RowScores;
import org.editstream.schema.export.TrainingRow;
import org.editstream.tasks.TaskCatalogue;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * A sample as the training files hold it ({@link TrainingRow}): the one place that decides the files' names,
 * spellings and types. The task is its lower-case name everywhere (column, partition folder, JSON), the
 * generation parameters a JSON object string, and each image a datasets {@code Image} struct (bytes when inline,
 * the URI as path otherwise) with its format, size and hash beside it.
 */
public final class TrainingRows {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingRows() {
    }

    public static TrainingRow of(EditSample s) {
        return TrainingRow.newBuilder()
                .setSampleId(s.getSampleId())
                .setCaptionId(s.getCaptionId())
                .setTask(TaskCatalogue.nameOf(s.getTask()))
                .setTaskIndex(s.getTaskIndex())
                .setInstruction(s.getInstruction())
                .setInputCaption(s.getInputCaption())
                .setOutputCaption(s.getOutputCaption())
                .setOriginalObject(s.getOriginalObject())
                .setEditedObject(s.getEditedObject())
                .setInputImage(image(s.getInputImage()))
                .setInputImageInfo(info(s.getInputImage()))
                .setEditedImage(image(s.getEditedImage()))
                .setEditedImageInfo(info(s.getEditedImage()))
                .setMask(s.getMask() == null ? null : image(s.getMask()))
                .setMaskInfo(s.getMask() == null ? null : info(s.getMask()))
                .setGeneration(generation(s.getGeneration()))
                .setScores(scores(s.getScores()))
                .setLineage(lineage(s.getLineage()))
                .build();
    }

    /** The day a sample was made (UTC), for the {@code date=} partition. */
    public static Instant madeAt(TrainingRow row) {
        return row.getLineage().getCreatedAt() == null ? Instant.EPOCH : row.getLineage().getCreatedAt();
    }

    private static Image image(ImageRef ref) {
        byte[] bytes = ImageRefs.inlineBytes(ref);
        return Image.newBuilder().setBytes(bytes == null ? null : ByteBuffer.wrap(bytes))
                .setPath(bytes == null ? ref.getUri() : null).build();
    }

    private static ImageInfo info(ImageRef ref) {
        return ImageInfo.newBuilder().setUri(ref.getUri()).setFormat(ref.getFormat()).setWidth(ref.getWidth())
                .setHeight(ref.getHeight()).setSha256(ref.getSha256()).build();
    }

    private static RowGeneration generation(GenerationParameters g) {
        return RowGeneration.newBuilder()
                .setRecipe(g.getRecipe())
                .setModelIds(g.getModelIds())
                .setSeed(g.getSeed())
                .setSteps(g.getSteps())
                .setGuidance(g.getGuidance())
                .setCrossAttentionFraction(g.getCrossAttentionFraction())
                .setSelfAttentionFraction(g.getSelfAttentionFraction())
                .setBlendStart(g.getBlendStart())
                .setMaskKind(g.getMaskKind())
                .setCandidateIndex(g.getCandidateIndex())
                .setParameters(json(g.getParameters()))
                .build();
    }

    private static RowScores scores(Scores s) {
        return RowScores.newBuilder()
                .setClipDirection(s.getClipDirection())
                .setClipImage(s.getClipImage())
                .setClipOutput(s.getClipOutput())
                .setPixelL1(s.getPixelL1())
                .setStructureL1(s.getStructureL1())
                .setDinoSimilarity(s.getDinoSimilarity())
                .setDetectorCheck(s.getDetectorCheck())
                .setPredictedTask(s.getPredictedTask() == null ? null : TaskCatalogue.nameOf(s.getPredictedTask()))
                .setPredictedTaskMargin(s.getPredictedTaskMargin())
                .setMaskArea(s.getMaskArea())
                .setDetectorPresent(s.getDetectorPresent())
                .setDetectorAbsent(s.getDetectorAbsent())
                .build();
    }

    private static RowLineage lineage(Lineage l) {
        return RowLineage.newBuilder().setLlmModel(l.getLlmModel()).setPromptTemplateVersion(l.getPromptTemplateVersion())
                .setJobVersion(l.getJobVersion()).setCreatedAt(l.getCreatedAt()).build();
    }

    /** The recipe's draws as one JSON object, keys sorted so that equal draws are equal strings. */
    static String json(Map<String, String> parameters) {
        try {
            return JSON.writeValueAsString(new TreeMap<>(parameters));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a map of strings always serialises", e);
        }
    }
}
