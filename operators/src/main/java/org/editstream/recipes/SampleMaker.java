package org.editstream.recipes;

import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageEncoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.ImageStore;
import org.editstream.imaging.Images;
import org.editstream.imaging.Masks;
import org.editstream.instruct.Placeholders;
import org.editstream.instruct.TemplateInstructionWriter;
import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditRequest;
import org.editstream.schema.EditSample;
import org.editstream.schema.GenerationParameters;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Instruction;
import org.editstream.schema.Lineage;
import org.editstream.schema.Reason;
import org.editstream.schema.Scores;
import org.editstream.tasks.Seeds;
import org.editstream.tasks.TaskCatalogue;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.time.Instant;

/**
 * The "make the pair" stage without Flink: fetches and decodes the caption's image, runs the task's recipe,
 * fills the instruction's placeholders, and assembles the {@link EditSample} with everything that made it.
 */
public final class SampleMaker {
    private final RecipeBook recipes;
    private final ImageDecoder decoder;
    private final ImageStore store;
    private final String jobVersion;

    public SampleMaker(RecipeBook recipes, ImageDecoder decoder, ImageStore store, String jobVersion) {
        this.recipes = recipes;
        this.decoder = decoder;
        this.store = store;
        this.jobVersion = jobVersion;
    }

    public EditSample make(EditRequest request) throws Refusal {
        CaptionEvent caption = request.getCaption();
        Instruction instruction = request.getInstruction();
        if (instruction == null) {
            throw new Refusal(Reason.RECIPE_FAILED, "request reached the recipe without an instruction");
        }
        Recipe recipe = recipes.recipe(request.getTask()).orElseThrow(() -> new Refusal(Reason.TASK_DISABLED,
                "no recipe is open for task " + TaskCatalogue.nameOf(request.getTask())));
        BufferedImage image = decoder.decode(imageBytes(caption));
        EditPair pair;
        try {
            pair = recipe.make(image, instruction, Seeds.random(request.getSeed(), "recipe"));
        } catch (RuntimeException | LinkageError e) {
            throw new Refusal(Reason.RECIPE_FAILED, recipe.name() + " recipe failed: " + e, e);
        }
        return assemble(request, recipe.name(), pair, jobVersion);
    }

    /** The sample of a request from the pair its recipe made, with everything that made it. */
    public static EditSample assemble(EditRequest request, String recipeName, EditPair pair, String jobVersion)
            throws Refusal {
        CaptionEvent caption = request.getCaption();
        Instruction instruction = request.getInstruction();
        String text = Placeholders.fill(instruction.getText(), pair.facts());

        GenerationParameters generation = GenerationParameters.newBuilder()
                .setRecipe(recipeName)
                .setModelIds(pair.modelIds())
                .setSeed(request.getSeed())
                .setCandidateIndex(0)
                .setParameters(pair.parameters())
                .build();
        Scores scores = Scores.newBuilder()
                .setPixelL1((float) Images.meanAbsoluteDifference(pair.input(), pair.edited()))
                .setMaskArea(pair.mask() == null ? null : (float) Masks.coverage(pair.mask()))
                .build();
        Lineage lineage = Lineage.newBuilder()
                .setLlmModel(TemplateInstructionWriter.WRITER.equals(instruction.getWriter()) ? null : instruction.getWriter())
                .setPromptTemplateVersion(instruction.getTemplateVersion())
                .setJobVersion(jobVersion)
                .setCreatedAt(Instant.now())
                .build();
        return EditSample.newBuilder()
                .setSampleId(Seeds.sampleId(caption.getId(), request.getTask(), 0))
                .setCaptionId(caption.getId())
                .setTask(request.getTask())
                .setTaskIndex(request.getTask().ordinal())
                .setInstruction(text)
                .setInputCaption(caption.getCaption())
                .setOutputCaption(instruction.getOutputCaption())
                .setOriginalObject(instruction.getOriginalObject())
                .setEditedObject(instruction.getEditedObject())
                .setInputImage(png(pair.input()))
                .setEditedImage(png(pair.edited()))
                .setMask(pair.mask() == null ? null : png(Masks.toImage(pair.mask())))
                .setGeneration(generation)
                .setScores(scores)
                .setLineage(lineage)
                .build();
    }

    private byte[] imageBytes(CaptionEvent caption) throws Refusal {
        ImageRef ref = caption.getImage();
        if (ref == null) {
            throw new Refusal(Reason.NO_INPUT_IMAGE,
                    "caption has no image and no text-to-image model is configured to make one");
        }
        byte[] inline = ImageRefs.inlineBytes(ref);
        return inline != null ? inline : store.read(ref.getUri());
    }

    static ImageRef png(BufferedImage image) {
        byte[] bytes = ImageEncoder.png(image);
        return ImageRef.newBuilder()
                .setData(ByteBuffer.wrap(bytes))
                .setFormat("png")
                .setWidth(image.getWidth())
                .setHeight(image.getHeight())
                .setSha256(Seeds.sha256Hex(bytes))
                .build();
    }
}
