package org.editstream.perception;

import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DetectorCheckTest {
    private static final int W = 100;
    private static final int H = 80;

    /** Answers what it was told for each (image, name); records how it was asked. */
    private static final class Scripted implements ObjectGrounder {
        final Map<BufferedImage, Map<String, Detections>> answers = new HashMap<>();
        final List<String> calls = new ArrayList<>();

        Scripted on(BufferedImage image, String name, double bestScore, Rectangle... boxes) {
            List<Grounding> found = new ArrayList<>();
            for (int i = 0; i < boxes.length; i++) {
                found.add(new Grounding(boxes[i], null, 0.9 - 0.1 * i));
            }
            answers.computeIfAbsent(image, k -> new HashMap<>()).put(name, new Detections(found, bestScore));
            return this;
        }

        @Override
        public Optional<Grounding> ground(BufferedImage image, String objectName) {
            return groundAll(image, objectName).found().stream().findFirst();
        }

        @Override
        public Detections groundAll(BufferedImage image, String objectName) {
            calls.add("one:" + objectName);
            return answers.getOrDefault(image, Map.of()).getOrDefault(objectName, new Detections(List.of(), 0.05));
        }

        @Override
        public List<Detections> groundEach(BufferedImage image, List<String> objectNames) {
            calls.add("each:" + String.join(",", objectNames));
            return objectNames.stream().map(n -> answers.getOrDefault(image, Map.of()).getOrDefault(n,
                    new Detections(List.of(), 0.05))).toList();
        }

        @Override
        public String id() {
            return "scripted";
        }
    }

    private static BufferedImage image() {
        return new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
    }

    private static BufferedImage mask(Rectangle r, int width, int height) {
        BufferedImage mask = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        g.setColor(Color.WHITE);
        g.fill(r);
        g.dispose();
        return mask;
    }

    @Test
    void anAddedObjectMustBeInTheEditedImageOnly() {
        BufferedImage input = image();
        BufferedImage edited = image();
        Rectangle ball = new Rectangle(10, 10, 20, 20);
        Scripted grounder = new Scripted().on(edited, "red ball", 0.9, ball).on(input, "red ball", 0.2);
        DetectorCheck.Verdict pass = new DetectorCheck(grounder).judge(Task.ADD, input, edited, null, "red ball", null);
        assertThat(pass.passed()).isTrue();
        assertThat(pass.present()).isEqualTo(0.9);
        assertThat(pass.absent()).as("not found in the input: its best score below the threshold").isEqualTo(0.2);

        grounder.on(input, "red ball", 0.7, ball);
        DetectorCheck.Verdict both = new DetectorCheck(grounder).judge(Task.ADD, input, edited, null, "red ball", null);
        assertThat(both.passed()).as("already in the input").isFalse();
        assertThat(both.absent()).isEqualTo(0.9);

        Scripted nowhere = new Scripted().on(edited, "red ball", 0.3).on(input, "red ball", 0.1);
        assertThat(new DetectorCheck(nowhere).judge(Task.ADD, input, edited, null, "red ball", null))
                .isEqualTo(new DetectorCheck.Verdict(false, 0.3, 0.1));
    }

    @Test
    void aRemovedObjectMustBeInTheInputOnly() {
        BufferedImage input = image();
        BufferedImage edited = image();
        Rectangle dog = new Rectangle(40, 20, 30, 30);
        Scripted grounder = new Scripted().on(input, "black dog", 0.8, dog).on(edited, "black dog", 0.3);
        assertThat(new DetectorCheck(grounder).judge(Task.REMOVE, input, edited, "black dog", null, null))
                .isEqualTo(new DetectorCheck.Verdict(true, 0.9, 0.3));
        grounder.on(edited, "black dog", 0.9, new Rectangle(0, 0, 10, 10));
        assertThat(new DetectorCheck(grounder).judge(Task.REMOVE, input, edited, "black dog", null, null).passed())
                .as("a dog left anywhere in the edited image").isFalse();
        assertThat(new DetectorCheck(new Scripted()).judge(Task.REMOVE, input, edited, "black dog", null, null).passed())
                .as("never in the input").isFalse();
    }

    @Test
    void aLocalEditMustShowTheEditedObjectWhereTheMaskIsAndNotTheOriginalBothGroundedInOnePass() {
        BufferedImage input = image();
        BufferedImage edited = image();
        Rectangle place = new Rectangle(30, 20, 40, 40);
        BufferedImage mask = mask(place, W, H);
        Rectangle there = new Rectangle(35, 25, 30, 30);       // inside the mask's bounds
        Rectangle elsewhere = new Rectangle(0, 0, 20, 15);     // outside them
        Rectangle larger = new Rectangle(20, 10, 70, 65);      // holds all of the place: overlaps the smaller fully

        Scripted grounder = new Scripted().on(edited, "brown cat", 0.9, there).on(edited, "brown dog", 0.8, elsewhere);
        DetectorCheck.Verdict pass = new DetectorCheck(grounder).judge(Task.LOCAL, input, edited, "brown dog", "brown cat", mask);
        assertThat(pass.passed()).as("a dog elsewhere is not the one replaced").isTrue();
        assertThat(pass.present()).isEqualTo(0.9);
        assertThat(pass.absent()).as("found, but not where the mask is").isZero();
        assertThat(grounder.calls).containsExactly("each:brown cat,brown dog");

        grounder.on(edited, "brown dog", 0.8, larger);
        assertThat(new DetectorCheck(grounder).judge(Task.LOCAL, input, edited, "brown dog", "brown cat", mask))
                .isEqualTo(new DetectorCheck.Verdict(false, 0.9, 0.9));

        Scripted catElsewhere = new Scripted().on(edited, "brown cat", 0.9, elsewhere);
        DetectorCheck.Verdict moved = new DetectorCheck(catElsewhere).judge(Task.LOCAL, input, edited, "brown dog", "brown cat", mask);
        assertThat(moved.passed()).as("the cat is not where the dog was").isFalse();
        assertThat(moved.present()).isZero();
        assertThat(moved.absent()).as("no dog anywhere: its best score").isEqualTo(0.05);

        assertThat(new DetectorCheck(catElsewhere).judge(Task.LOCAL, input, edited, "brown dog", "brown cat", null).passed())
                .as("without a mask all of the image is the place").isTrue();
        // a mask at another size than the edited image is scaled to it
        BufferedImage half = mask(new Rectangle(15, 10, 20, 20), W / 2, H / 2);
        assertThat(new DetectorCheck(grounder).judge(Task.LOCAL, input, edited, "brown dog", "brown cat", half).passed()).isFalse();
        assertThat(new DetectorCheck(new Scripted().on(edited, "brown cat", 0.9, there))
                .judge(Task.LOCAL, input, edited, "brown dog", "brown cat", half).passed()).isTrue();
    }

    @Test
    void overlapIsMeasuredAgainstTheSmallerOfTheTwo() {
        Rectangle place = new Rectangle(0, 0, 100, 100);
        assertThat(DetectorCheck.overlaps(new Rectangle(10, 10, 10, 10), place)).isTrue();
        assertThat(DetectorCheck.overlaps(new Rectangle(95, 0, 10, 10), place)).as("half of it inside").isTrue();
        assertThat(DetectorCheck.overlaps(new Rectangle(96, 0, 10, 10), place)).as("40% inside").isFalse();
        assertThat(DetectorCheck.overlaps(new Rectangle(200, 200, 10, 10), place)).isFalse();
    }

    @Test
    void onlyAddRemoveAndLocalWithTheirObjectsAreJudged() {
        assertThat(DetectorCheck.judges(Task.ADD, null, "ball")).isTrue();
        assertThat(DetectorCheck.judges(Task.ADD, "ball", null)).isFalse();
        assertThat(DetectorCheck.judges(Task.REMOVE, "dog", null)).isTrue();
        assertThat(DetectorCheck.judges(Task.LOCAL, "dog", " ")).isFalse();
        assertThat(DetectorCheck.judges(Task.TEXTURE, "chair", "metal chair")).isFalse();
        assertThat(DetectorCheck.judges(Task.SEGMENT, "dog", null)).isFalse();
        assertThatThrownBy(() -> new DetectorCheck(new Scripted()).judge(Task.TEXTURE, image(), image(), "a", "b", null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
