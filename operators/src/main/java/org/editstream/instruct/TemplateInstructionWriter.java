package org.editstream.instruct;

import org.editstream.imaging.TextRenderer;
import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.editstream.tasks.Seeds;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Instructions from templates with varied wording, for the tasks whose edit is fully described by a few
 * parameters (colour operations, image translation, text, detection). The writer also draws the edit's
 * intent (which operation, which direction, which new text), so the recipe makes exactly what the
 * instruction says.
 */
public final class TemplateInstructionWriter implements InstructionWriter, Serializable {
    private static final long serialVersionUID = 1L;

    public static final String VERSION = "templates-3";
    public static final String WRITER = "template";

    /**
     * Tasks whose recipes do what this writer's drawn intent says (which colour operation, which direction,
     * which new text): their instructions always come from here, never from an LLM.
     */
    public static final Set<Task> INTENT_TASKS = Set.copyOf(EnumSet.of(Task.COLOR, Task.SKETCH, Task.TEXT, Task.DEPTH,
            Task.NORMAL, Task.POSE, Task.SEGMAP));

    /** Colour operations and the wordings of each direction. */
    static final Map<String, Map<String, List<String>>> COLOR = Map.of(
            "brightness", Map.of(
                    "up", List.of("make the image brighter", "brighten the photo", "increase the brightness",
                            "make it lighter", "turn up the brightness", "make the picture brighter"),
                    "down", List.of("make the image darker", "darken the photo", "lower the brightness",
                            "dim the picture", "make it darker", "turn down the brightness")),
            "contrast", Map.of(
                    "up", List.of("increase the contrast", "make the contrast stronger", "boost the contrast",
                            "give the photo more contrast"),
                    "down", List.of("reduce the contrast", "make the image flatter", "lower the contrast",
                            "soften the contrast")),
            "saturation", Map.of(
                    "up", List.of("make the colors more vivid", "increase the saturation", "boost the colors",
                            "make the colours richer"),
                    "down", List.of("desaturate the photo", "make the colors duller", "reduce the saturation",
                            "mute the colours")),
            "hue", Map.of(
                    "shift", List.of("shift the hues", "change the color tones", "rotate the hue of the image",
                            "give the photo different colour tints")),
            "blur", Map.of(
                    "apply", List.of("blur the photo", "make the image blurry", "apply a gaussian blur",
                            "add some blur", "soften the whole image")),
            "sharpen", Map.of(
                    "apply", List.of("sharpen the image", "make the photo crisper", "increase the sharpness",
                            "make the details sharper")),
            "defocus", Map.of(
                    "apply", List.of("make the photo out of focus", "defocus the image", "add a lens blur",
                            "make it look like the camera missed focus")));

    static final Map<String, List<String>> SKETCH = Map.of(
            "to_sketch", List.of("turn this into a pencil sketch", "make it a line drawing",
                    "convert the photo to a sketch", "draw this as a sketch", "render the image as pencil lines"),
            "from_sketch", List.of("turn this sketch into a photo", "make the drawing photorealistic",
                    "render the sketch as a real image", "make this line drawing look like a photograph"));

    static final Map<String, List<String>> TEXT = Map.of(
            "remove", List.of("remove the text \"{found_text}\"", "erase the words \"{found_text}\"",
                    "delete the writing \"{found_text}\"", "take away the text \"{found_text}\""),
            "add", List.of("add the text \"{found_text}\"", "write \"{found_text}\" on it",
                    "put the words \"{found_text}\" in the image", "add the writing \"{found_text}\""),
            "replace", List.of("replace the text \"{found_text}\" with \"{new_text}\" in {color} {font}",
                    "change the words \"{found_text}\" to \"{new_text}\", written in {color} {font}",
                    "make the text say \"{new_text}\" instead of \"{found_text}\", in {color} {font}"));

    /** Words the replace mode writes; short, common and readable by OCR. */
    static final List<String> NEW_TEXTS = List.of("OPEN", "SALE", "HELLO", "CAFE", "EXIT", "WELCOME", "MARKET",
            "STOP", "HOTEL", "BOOKS", "FRESH", "PARK", "LIBRARY", "GARDEN", "STUDIO", "BAKERY");

    /** Colour names and their RGB values for rendered text. */
    static final Map<String, String> TEXT_COLORS = new TreeMap<>(Map.of(
            "red", "d62728", "blue", "1f4fd6", "green", "2ca02c", "black", "111111", "white", "f5f5f5",
            "yellow", "ffd400", "orange", "ff7f0e", "purple", "7b3fbf"));

    private static final Map<Task, Map<String, List<String>>> TRANSLATIONS = new EnumMap<>(Map.of(
            Task.DEPTH, Map.of(
                    "to_map", List.of("estimate the depth map", "turn this into a depth map", "show the depth of the scene"),
                    "from_map", List.of("turn this depth map into a photo", "generate an image from the depth map")),
            Task.NORMAL, Map.of(
                    "to_map", List.of("estimate the surface normals", "turn this into a normal map"),
                    "from_map", List.of("turn this normal map into a photo", "generate an image from the normal map")),
            Task.POSE, Map.of(
                    "to_map", List.of("draw the human pose skeleton", "show the body pose as a skeleton"),
                    "from_map", List.of("generate a person in this pose", "turn the pose skeleton into a photo")),
            Task.SEGMAP, Map.of(
                    "to_map", List.of("draw the semantic segmentation map", "segment the scene into labelled regions"),
                    "from_map", List.of("turn this segmentation map into a photo", "generate an image from the label map"))));

    /**
     * Global edits the template writer can phrase without an LLM (weather, light, season, colour treatment;
     * painting media belong to the style task, and the task check would relabel them): what the output caption
     * appends to the input caption (a phrase REFINE alignment inserts), and the ways to ask for it.
     */
    static final Map<String, List<String>> GLOBAL = new TreeMap<>(Map.of(
            "in heavy rain", List.of("make it rain", "add heavy rain to the scene", "make the weather rainy"),
            "at night", List.of("make it night time", "change the scene to night", "make it look like night"),
            "at sunset", List.of("make it sunset", "change the lighting to sunset", "set the scene at sunset"),
            "in winter with snow", List.of("make it winter", "cover the scene in snow", "change the season to winter"),
            "in the fog", List.of("make it foggy", "add fog to the scene", "fill the scene with mist"),
            "in black and white", List.of("make it black and white", "turn the photo black and white")));

    private static final Map<Task, List<String>> VISION = new EnumMap<>(Map.of(
            Task.DETECT, List.of("detect the {object}", "draw a box around the {object}", "find the {object}",
                    "mark the {object} with a bounding box"),
            Task.SEGMENT, List.of("segment the {object}", "highlight the {object}", "mark the pixels of the {object}",
                    "create a mask of the {object}")));

    @Override
    public boolean supports(Task task) {
        return task == Task.COLOR || task == Task.SKETCH || task == Task.TEXT || task == Task.GLOBAL
                || TRANSLATIONS.containsKey(task) || VISION.containsKey(task);
    }

    @Override
    public Instruction write(CaptionEvent caption, Task task, long seed) throws Refusal {
        SplittableRandom random = Seeds.random(seed, "instruction");
        Map<String, String> intent = new TreeMap<>();
        String text;
        String originalObject = null;
        String outputCaption = null;
        switch (task) {
            case GLOBAL -> {
                String change = pick(random, List.copyOf(GLOBAL.keySet()));
                intent.put("change", change);
                text = pick(random, GLOBAL.get(change));
                outputCaption = caption.getCaption().strip().replaceAll("[.!]+$", "") + " " + change;
            }
            case COLOR -> {
                String operation = pick(random, List.copyOf(new TreeMap<>(COLOR).keySet()));
                Map<String, List<String>> directions = new TreeMap<>(COLOR.get(operation));
                String direction = pick(random, List.copyOf(directions.keySet()));
                intent.put("operation", operation);
                intent.put("direction", direction);
                text = pick(random, directions.get(direction));
            }
            case SKETCH -> {
                String direction = random.nextBoolean() ? "to_sketch" : "from_sketch";
                intent.put("direction", direction);
                text = pick(random, SKETCH.get(direction));
            }
            case TEXT -> {
                String mode = pick(random, List.of("add", "remove", "replace"));
                intent.put("mode", mode);
                if (mode.equals("replace")) {
                    String color = pick(random, List.copyOf(TEXT_COLORS.keySet()));
                    String family = pick(random, TextRenderer.FAMILIES);
                    boolean bold = random.nextBoolean();
                    intent.put("new_text", pick(random, NEW_TEXTS));
                    intent.put("color", color);
                    intent.put("color_rgb", TEXT_COLORS.get(color));
                    intent.put("font_family", family);
                    intent.put("bold", Boolean.toString(bold));
                    intent.put("font", (bold ? "bold " : "") + family);
                }
                text = pick(random, TEXT.get(mode));
                text = text.replace("{new_text}", intent.getOrDefault("new_text", ""))
                        .replace("{color}", intent.getOrDefault("color", ""))
                        .replace("{font}", intent.getOrDefault("font", ""));
            }
            case DETECT, SEGMENT -> {
                originalObject = CaptionObjects.mainObject(caption.getCaption()).orElseThrow(() -> new Refusal(
                        Reason.NO_ELIGIBLE_TASK, "caption names no object to " + task.name().toLowerCase()));
                text = pick(random, VISION.get(task)).replace("{object}", originalObject);
            }
            case DEPTH, NORMAL, POSE, SEGMAP -> {
                String direction = random.nextBoolean() ? "to_map" : "from_map";
                intent.put("direction", direction);
                text = pick(random, TRANSLATIONS.get(task).get(direction));
            }
            default -> throw new Refusal(Reason.NO_ELIGIBLE_TASK,
                    "template instructions do not cover task " + task.name().toLowerCase() + "; it needs an LLM agent");
        }
        return Instruction.newBuilder()
                .setText(text)
                .setOriginalObject(originalObject)
                .setOutputCaption(outputCaption)
                .setIntent(intent)
                .setWriter(WRITER)
                .setTemplateVersion(VERSION)
                .build();
    }

    private static <T> T pick(SplittableRandom random, List<T> options) {
        return options.get(random.nextInt(options.size()));
    }
}
