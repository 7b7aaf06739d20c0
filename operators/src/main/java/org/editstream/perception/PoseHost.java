package org.editstream.perception;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.PoseSkeleton;
import org.editstream.models.Devices;
import org.editstream.models.vitpose.VitPose;
import org.editstream.models.vitpose.VitPoseProcessor;

import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A ViTPose model per JVM and folder ({@link ModelHost}). A request is one image and its person boxes; the crops of a
 * batch's requests go through the network in one pass.
 */
public final class PoseHost extends ModelHost<PoseHost.Request, List<PoseSkeleton.Body>> {
    public static final int MAX_BATCH = 8;
    public static final Duration MAX_WAIT = Duration.ofMillis(20);
    /** {@code post_process_pose_estimation}'s default Gaussian kernel for the keypoint refinement. */
    public static final int REFINEMENT_KERNEL = 11;
    private static final int COCO_BODY_KEYPOINTS = 17;
    private static final Map<String, PoseHost> HOSTS = new ConcurrentHashMap<>();

    /** One image and the person boxes to pose in it. */
    public record Request(BufferedImage image, List<Rectangle> boxes) {
        public Request {
            boxes = List.copyOf(boxes);
        }
    }

    private final VitPose model;

    private PoseHost(VitPose model, String id) {
        super(id, "pose", MAX_BATCH, MAX_WAIT, r -> "crops");
        if (model.config().keypoints() < COCO_BODY_KEYPOINTS) {
            throw new IllegalArgumentException("pose skeletons need COCO's " + COCO_BODY_KEYPOINTS
                    + " body keypoints first; the model at " + id + " gives " + model.config().keypoints());
        }
        this.model = model;
    }

    /** The host of a ViTPose folder, loaded on first use. */
    public static PoseHost forFolder(Path folder) {
        return perFolder(HOSTS, folder, f -> new PoseHost(VitPose.load(f, Devices.named("auto"), DataType.FLOAT32),
                "vitpose " + f.getFileName()));
    }

    /** One body per box: its COCO body keypoints in image pixels and their scores. */
    public CompletableFuture<List<PoseSkeleton.Body>> pose(BufferedImage image, List<Rectangle> boxes) {
        return submit(new Request(image, boxes));
    }

    /** {@link #pose}, waiting for its batch; a model failure is rethrown as it was thrown. */
    public List<PoseSkeleton.Body> poseNow(BufferedImage image, List<Rectangle> boxes) {
        return await(new Request(image, boxes));
    }

    @Override
    List<List<PoseSkeleton.Body>> run(List<Request> batch) {
        try (NDManager m = model.manager().newSubManager()) {
            NDList crops = new NDList();
            List<float[]> boxes = new ArrayList<>();
            for (Request r : batch) {
                List<float[]> own = r.boxes().stream().map(b -> new float[] {b.x, b.y, b.width, b.height}).toList();
                if (!own.isEmpty()) {
                    crops.add(model.pixelValues(m, r.image(), own));
                    boxes.addAll(own);
                }
            }
            List<VitPoseProcessor.Pose> poses = boxes.isEmpty() ? List.of()
                    : model.poses(model.heatmaps(crops.size() == 1 ? crops.get(0) : NDArrays.concat(crops, 0)), boxes,
                    REFINEMENT_KERNEL);
            List<List<PoseSkeleton.Body>> out = new ArrayList<>(batch.size());
            int next = 0;
            for (Request r : batch) {
                List<PoseSkeleton.Body> bodies = new ArrayList<>(r.boxes().size());
                for (int i = 0; i < r.boxes().size(); i++, next++) {
                    VitPoseProcessor.Pose p = poses.get(next);
                    bodies.add(new PoseSkeleton.Body(Arrays.copyOf(p.keypoints(), COCO_BODY_KEYPOINTS),
                            Arrays.copyOf(p.scores(), COCO_BODY_KEYPOINTS)));
                }
                out.add(bodies);
            }
            return out;
        }
    }
}
