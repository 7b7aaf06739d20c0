package org.editstream.recipes;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;

import java.awt.image.BufferedImage;
import java.util.SplittableRandom;

/** How the (input, edited) pair of one task is made. One class per task. */
public interface Recipe {
    Task task();

    /** Short name recorded in the sample's generation parameters. */
    String name();

    /**
     * @param image       the caption's image, decoded to the working size
     * @param instruction what the instruction stage wrote, with the intent the recipe must follow
     * @param random      this sample's random stream (derived from the caption's seed)
     */
    EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal;

    /** Reads a required intent key; an instruction without it cannot be followed. */
    static String intent(Instruction instruction, String key) throws Refusal {
        String value = instruction.getIntent().get(key);
        if (value == null) {
            throw new Refusal(org.editstream.schema.Reason.RECIPE_FAILED,
                    "instruction '" + instruction.getText() + "' carries no '" + key + "' intent");
        }
        return value;
    }
}
