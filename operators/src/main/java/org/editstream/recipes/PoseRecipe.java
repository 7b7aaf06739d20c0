package org.editstream.recipes;

import org.editstream.imaging.PoseSkeleton;
import org.editstream.perception.ObjectGrounder;
import org.editstream.perception.PoseHost;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Pose: image -> pose skeleton, or the reversed pair skeleton -> image. Top-down, as ViTPose is run: the grounder
 * finds every person, ViTPose gives each box its keypoints, and the skeletons are drawn in ControlNet's OpenPose style
 * ({@link PoseSkeleton}), keypoints under {@link #KEYPOINT_THRESHOLD} left out.
 */
public final class PoseRecipe implements Recipe {
    /** What the grounder is asked to find. */
    public static final String PERSON = "person";
    /** Keypoints scored under this are not drawn (ViTPose's scores are its heatmaps' peaks). */
    public static final double KEYPOINT_THRESHOLD = 0.3;

    private final ObjectGrounder grounder;
    private final PoseHost pose;

    public PoseRecipe(ObjectGrounder grounder, PoseHost pose) {
        this.grounder = grounder;
        this.pose = pose;
    }

    @Override
    public Task task() {
        return Task.POSE;
    }

    @Override
    public String name() {
        return "pose";
    }

    @Override
    public EditPair make(BufferedImage image, Instruction instruction, SplittableRandom random) throws Refusal {
        String direction = Recipe.intent(instruction, "direction");
        ObjectGrounder.Detections people = grounder.groundAll(image, PERSON);
        if (people.found().isEmpty()) {
            throw new Refusal(Reason.NO_PERSON, "the grounder found no person in the image (its best score: "
                    + (Double.isNaN(people.bestScore()) ? "not given" : format(people.bestScore())) + ")");
        }
        List<Rectangle> boxes = people.found().stream().map(ObjectGrounder.Grounding::box).toList();
        List<PoseSkeleton.Body> bodies = pose.poseNow(image, boxes);
        PoseSkeleton.Drawing skeleton = PoseSkeleton.draw(image.getWidth(), image.getHeight(), bodies, KEYPOINT_THRESHOLD);
        if (skeleton.limbs() == 0) {
            throw new Refusal(Reason.RECIPE_FAILED, String.format(Locale.ROOT,
                    "no limb of the %d person(s) found has both its keypoints scored at %s or more", boxes.size(),
                    format(KEYPOINT_THRESHOLD)));
        }
        Map<String, String> parameters = Map.of("direction", direction, "map", "pose",
                "persons", Integer.toString(boxes.size()), "keypoints", Integer.toString(skeleton.points()),
                "limbs", Integer.toString(skeleton.limbs()), "keypoint_threshold", format(KEYPOINT_THRESHOLD),
                "person_score", format(people.found().get(0).score()));
        return EditPair.translation(direction, "pose", image, skeleton.image(), parameters, List.of(grounder.id(), pose.id()));
    }

    private static String format(double value) {
        return ColorRecipe.format(value);
    }
}
