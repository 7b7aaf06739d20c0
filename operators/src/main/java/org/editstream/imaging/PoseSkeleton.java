package org.editstream.imaging;

import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Point;
import org.bytedeco.opencv.opencv_core.PointVector;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

import java.awt.image.BufferedImage;
import java.util.List;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.addWeighted;
import static org.bytedeco.opencv.global.opencv_imgproc.circle;
import static org.bytedeco.opencv.global.opencv_imgproc.ellipse2Poly;
import static org.bytedeco.opencv.global.opencv_imgproc.fillConvexPoly;

/**
 * Human pose skeletons drawn as ControlNet's OpenPose annotator draws them ({@code draw_bodypose}): OpenPose's 18
 * body points (COCO's 17 plus a neck at the shoulders' midpoint) as filled discs of radius 4 in its 18 colours, then
 * its first 17 limbs as ellipses 4 pixels wide, each blended at 0.6 over what is drawn, on black.
 */
public final class PoseSkeleton {
    /** OpenPose's body points, in its order. */
    public static final List<String> POINTS = List.of("nose", "neck", "right shoulder", "right elbow", "right wrist",
            "left shoulder", "left elbow", "left wrist", "right hip", "right knee", "right ankle", "left hip", "left knee",
            "left ankle", "right eye", "left eye", "right ear", "left ear");
    /** For each OpenPose point, its COCO keypoint; -1 for the neck, which COCO lacks. */
    static final int[] COCO_OF_POINT = {0, -1, 6, 8, 10, 5, 7, 9, 12, 14, 16, 11, 13, 15, 2, 1, 4, 3};
    private static final int COCO_LEFT_SHOULDER = 5;
    private static final int COCO_RIGHT_SHOULDER = 6;
    /** The limbs as pairs of OpenPose points; ControlNet draws the first 17 (the last two, ear to shoulder, are left out). */
    static final int[][] LIMBS = {{1, 2}, {1, 5}, {2, 3}, {3, 4}, {5, 6}, {6, 7}, {1, 8}, {8, 9}, {9, 10}, {1, 11},
            {11, 12}, {12, 13}, {1, 0}, {0, 14}, {14, 16}, {0, 15}, {15, 17}};
    /** The colour (RGB) of each point, and of the limb of the same index. */
    static final int[][] COLOURS = {{255, 0, 0}, {255, 85, 0}, {255, 170, 0}, {255, 255, 0}, {170, 255, 0}, {85, 255, 0},
            {0, 255, 0}, {0, 255, 85}, {0, 255, 170}, {0, 255, 255}, {0, 170, 255}, {0, 85, 255}, {0, 0, 255},
            {85, 0, 255}, {170, 0, 255}, {255, 0, 255}, {255, 0, 170}, {255, 0, 85}};
    static final int POINT_RADIUS = 4;
    static final int STICK_WIDTH = 4;
    static final double LIMB_OPACITY = 0.6;

    private PoseSkeleton() {
    }

    /** One person's COCO keypoints (17 of them, x and y in image pixels) and their scores. */
    public record Body(float[][] keypoints, float[] scores) {
        public Body {
            if (keypoints.length != 17 || scores.length != 17) {
                throw new IllegalArgumentException("a COCO body has 17 keypoints, got " + keypoints.length + " and "
                        + scores.length + " scores");
            }
        }

        /** The 18 OpenPose points (x, y), null where the keypoint's score is under the threshold. */
        public float[][] openPosePoints(double threshold) {
            float[][] out = new float[COCO_OF_POINT.length][];
            for (int i = 0; i < out.length; i++) {
                int coco = COCO_OF_POINT[i];
                if (coco >= 0) {
                    out[i] = scores[coco] >= threshold ? keypoints[coco].clone() : null;
                } else if (scores[COCO_LEFT_SHOULDER] >= threshold && scores[COCO_RIGHT_SHOULDER] >= threshold) {
                    out[i] = new float[] {(keypoints[COCO_LEFT_SHOULDER][0] + keypoints[COCO_RIGHT_SHOULDER][0]) / 2,
                            (keypoints[COCO_LEFT_SHOULDER][1] + keypoints[COCO_RIGHT_SHOULDER][1]) / 2};
                }
            }
            return out;
        }
    }

    /** What a drawing holds: the points and limbs drawn, over all bodies. */
    public record Drawing(BufferedImage image, int points, int limbs) {
    }

    /** The bodies' skeletons on a black image of the given size; keypoints scored under {@code threshold} are left out. */
    public static Drawing draw(int width, int height, List<Body> bodies, double threshold) {
        List<float[][]> points = bodies.stream().map(b -> b.openPosePoints(threshold)).toList();
        int drawnPoints = 0;
        int drawnLimbs = 0;
        try (Mat canvas = new Mat(height, width, CV_8UC3, Scalar.all(0))) {
            for (int i = 0; i < COCO_OF_POINT.length; i++) {
                for (float[][] body : points) {
                    if (body[i] != null) {
                        try (Point centre = new Point((int) body[i][0], (int) body[i][1]); Scalar colour = bgr(COLOURS[i])) {
                            circle(canvas, centre, POINT_RADIUS, colour, -1, 8, 0);
                        }
                        drawnPoints++;
                    }
                }
            }
            for (int i = 0; i < LIMBS.length; i++) {
                for (float[][] body : points) {
                    float[] a = body[LIMBS[i][0]];
                    float[] b = body[LIMBS[i][1]];
                    if (a == null || b == null) {
                        continue;
                    }
                    drawLimb(canvas, a, b, COLOURS[i]);
                    drawnLimbs++;
                }
            }
            return new Drawing(OpenCvBridge.toImage(canvas), drawnPoints, drawnLimbs);
        }
    }

    /** An ellipse from a to b, STICK_WIDTH wide, blended over the canvas as the reference blends it. */
    private static void drawLimb(Mat canvas, float[] a, float[] b, int[] rgb) {
        double meanX = (a[0] + b[0]) / 2.0;
        double meanY = (a[1] + b[1]) / 2.0;
        double length = Math.hypot(a[0] - b[0], a[1] - b[1]);
        double angle = Math.toDegrees(Math.atan2(a[1] - b[1], a[0] - b[0]));
        try (Mat limb = canvas.clone(); PointVector polygon = new PointVector();
             Point centre = new Point((int) meanX, (int) meanY); Size axes = new Size((int) (length / 2), STICK_WIDTH);
             Scalar colour = bgr(rgb)) {
            ellipse2Poly(centre, axes, (int) angle, 0, 360, 1, polygon);
            fillConvexPoly(limb, polygon.get(0), (int) polygon.size(), colour);
            addWeighted(canvas, 1 - LIMB_OPACITY, limb, LIMB_OPACITY, 0, canvas);
        }
    }

    private static Scalar bgr(int[] rgb) {
        return new Scalar(rgb[2], rgb[1], rgb[0], 0);
    }
}
