package org.editstream.recipes;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

/**
 * What a recipe makes: the (input, edited) pair, the edit mask when there is one, the parameters it drew
 * (recorded in the sample), the models and tools it used, and facts it measured that the instruction may
 * name (e.g. found_text).
 */
public record EditPair(BufferedImage input, BufferedImage edited, BufferedImage mask,
                       Map<String, String> parameters, List<String> modelIds, Map<String, String> facts) {
    public EditPair {
        parameters = Map.copyOf(parameters);
        modelIds = List.copyOf(modelIds);
        facts = Map.copyOf(facts);
    }
}
