package org.editstream.recipes;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

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

    /**
     * An image-translation pair in the instruction's direction: {@code to_map} is image -> map, {@code from_map} the
     * reversed pair map -> image.
     */
    static EditPair translation(String direction, String mapName, BufferedImage image, BufferedImage map,
                                Map<String, String> parameters, List<String> models) throws Refusal {
        return switch (direction) {
            case "to_map" -> new EditPair(image, map, null, parameters, models, Map.of());
            case "from_map" -> new EditPair(map, image, null, parameters, models, Map.of());
            default -> throw new Refusal(Reason.RECIPE_FAILED, "unknown " + mapName + " direction '" + direction + "'");
        };
    }
}
