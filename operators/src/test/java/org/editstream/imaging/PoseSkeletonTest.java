package org.editstream.imaging;

import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PoseSkeletonTest {
    /** A standing person in a 256 x 256 image, COCO order. */
    private static final float[][] STANDING = {
            {128, 40}, {134, 36}, {122, 36}, {140, 40}, {116, 40}, // nose, left eye, right eye, left ear, right ear
            {150, 70}, {106, 70}, {160, 110}, {96, 110}, {165, 150}, {91, 150}, // shoulders, elbows, wrists (left, right)
            {140, 140}, {116, 140}, {142, 190}, {114, 190}, {144, 240}, {112, 240}}; // hips, knees, ankles

    private static PoseSkeleton.Body body(float score) {
        float[] scores = new float[17];
        Arrays.fill(scores, score);
        return new PoseSkeleton.Body(STANDING, scores);
    }

    private static int rgb(BufferedImage image, int x, int y) {
        return image.getRGB(x, y) & 0xffffff;
    }

    @Test
    void aFullBodyIsEighteenPointsAndSeventeenLimbsInOpenPoseColours() {
        PoseSkeleton.Drawing drawing = PoseSkeleton.draw(256, 256, List.of(body(0.9f)), 0.3);
        BufferedImage image = drawing.image();
        assertThat(drawing.points()).isEqualTo(18);
        assertThat(drawing.limbs()).isEqualTo(17);
        assertThat(image.getWidth()).isEqualTo(256);
        assertThat(image.getHeight()).isEqualTo(256);

        // the middle of the right upper arm (limb 2, orange 255,170,0) blended at 0.6 over black
        assertThat(rgb(image, 101, 90)).isEqualTo(153 << 16 | 102 << 8);
        // 3 pixels past the right wrist along the forearm: the wrist's disc (point 4, 170,255,0), under no limb
        assertThat(rgb(image, 91, 153)).isEqualTo(170 << 16 | 255 << 8);
        // the neck is at the shoulders' midpoint: the neck-to-nose limb (limb 12, blue) runs up from it
        assertThat(rgb(image, 128, 55)).isEqualTo(153);
        // the ears' limbs to the shoulders are the two ControlNet leaves out: between the right ear and shoulder is black
        assertThat(rgb(image, 111, 55)).isZero();
        // far from the body: black
        assertThat(rgb(image, 10, 10)).isZero();
        assertThat(rgb(image, 250, 128)).isZero();
    }

    @Test
    void keypointsUnderTheThresholdAndTheirLimbsAreLeftOut() {
        PoseSkeleton.Body full = body(0.9f);
        float[] scores = full.scores().clone();
        scores[13] = 0.1f; // the left knee
        PoseSkeleton.Drawing drawing = PoseSkeleton.draw(256, 256, List.of(new PoseSkeleton.Body(STANDING, scores)), 0.3);
        assertThat(drawing.points()).isEqualTo(17);
        assertThat(drawing.limbs()).isEqualTo(15); // hip-knee and knee-ankle
        assertThat(rgb(drawing.image(), 142, 190)).isZero();
        assertThat(rgb(drawing.image(), 141, 165)).isZero();
        // the other leg is drawn
        assertThat(rgb(drawing.image(), 115, 165)).isNotZero();

        float[] noShoulder = full.scores().clone();
        noShoulder[5] = 0.2f; // the left shoulder: no neck either, so nothing hangs from it
        PoseSkeleton.Drawing neckless = PoseSkeleton.draw(256, 256, List.of(new PoseSkeleton.Body(STANDING, noShoulder)), 0.3);
        assertThat(neckless.points()).isEqualTo(16);
        assertThat(rgb(neckless.image(), 128, 70)).isZero();

        assertThat(PoseSkeleton.draw(256, 256, List.of(body(0.2f)), 0.3).limbs()).isZero();
    }

    @Test
    void everyBodyIsDrawnAndABodyNeedsSeventeenKeypoints() {
        float[][] shifted = new float[17][];
        for (int i = 0; i < 17; i++) {
            shifted[i] = new float[] {STANDING[i][0] - 80, STANDING[i][1]};
        }
        float[] scores = body(0.9f).scores();
        PoseSkeleton.Drawing two = PoseSkeleton.draw(256, 256, List.of(body(0.9f), new PoseSkeleton.Body(shifted, scores)), 0.3);
        assertThat(two.points()).isEqualTo(36);
        assertThat(two.limbs()).isEqualTo(34);
        assertThat(rgb(two.image(), 21, 90)).isEqualTo(153 << 16 | 102 << 8);

        assertThatThrownBy(() -> new PoseSkeleton.Body(new float[5][2], new float[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("17 keypoints");
    }
}
