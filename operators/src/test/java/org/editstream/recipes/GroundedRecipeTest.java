package org.editstream.recipes;

import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Instruction;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class GroundedRecipeTest {
    private static final int W = 96;
    private static final int H = 64;
    private static final List<Rectangle> BALLS = List.of(new Rectangle(10, 12, 30, 30), new Rectangle(55, 20, 24, 24));

    /** Finds the two balls drawn by {@link #photo} (discs inside their boxes), nothing else, with best score 0.12. */
    private static final ObjectGrounder BALL_FINDER = new ObjectGrounder() {
        @Override
        public Optional<Grounding> ground(BufferedImage image, String objectName) {
            return groundAll(image, objectName).found().stream().findFirst();
        }

        @Override
        public Detections groundAll(BufferedImage image, String objectName) {
            if (!objectName.equals("ball")) {
                return new Detections(List.of(), 0.12);
            }
            List<Grounding> found = BALLS.stream().map(box -> {
                BufferedImage seg = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
                Graphics2D g = seg.createGraphics();
                g.setColor(Color.WHITE);
                g.fillOval(box.x, box.y, box.width, box.height);
                g.dispose();
                return new Grounding(box, seg, 0.9 - box.x / 1000.0);
            }).toList();
            return new Detections(found, 0.9);
        }

        @Override
        public String id() {
            return "ball-finder";
        }
    };

    private static BufferedImage photo() {
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(90, 110, 130), W, H, new Color(140, 120, 100)));
        g.fillRect(0, 0, W, H);
        g.setColor(new Color(200, 200, 200));
        for (Rectangle b : BALLS) {
            g.fillOval(b.x, b.y, b.width, b.height);
        }
        g.dispose();
        return image;
    }

    private static Instruction instruction(String object) {
        return Instruction.newBuilder().setText("find the " + object).setWriter("template").setTemplateVersion("t")
                .setOriginalObject(object).setIntent(Map.of()).build();
    }

    @Test
    void detectDrawsEveryInstancesBoxInTheRecordedColourAndThickness() throws Refusal {
        BufferedImage input = photo();
        EditPair pair = new GroundedRecipe(Task.DETECT, BALL_FINDER).make(input, instruction("ball"), new SplittableRandom(3));
        Color color = GroundedRecipe.COLORS.get(pair.parameters().get("color"));
        int thickness = Integer.parseInt(pair.parameters().get("thickness"));
        assertThat(pair.parameters()).containsEntry("instances", "2").containsEntry("object", "ball");
        assertThat(pair.input()).isSameAs(input);
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                boolean line = false;
                for (Rectangle b : BALLS) {
                    Rectangle outer = new Rectangle(b.x - thickness, b.y - thickness, b.width + 2 * thickness, b.height + 2 * thickness);
                    Rectangle inner = new Rectangle(b.x + thickness, b.y + thickness, b.width - 2 * thickness, b.height - 2 * thickness);
                    line |= outer.contains(x, y) && !inner.contains(x, y);
                }
                int edited = pair.edited().getRGB(x, y) & 0xFFFFFF;
                if (!line) {
                    assertThat(edited).as("pixel %d,%d away from the boxes", x, y).isEqualTo(input.getRGB(x, y) & 0xFFFFFF);
                }
            }
        }
        for (Rectangle b : BALLS) { // the box's own corner and edges carry the colour
            assertThat(pair.edited().getRGB(b.x, b.y) & 0xFFFFFF).isEqualTo(color.getRGB() & 0xFFFFFF);
            assertThat(pair.edited().getRGB(b.x + b.width / 2, b.y + b.height - 1) & 0xFFFFFF).isEqualTo(color.getRGB() & 0xFFFFFF);
            assertThat(pair.mask().getRaster().getSample(b.x, b.y + b.height / 2, 0)).isEqualTo(255);
            assertThat(pair.mask().getRaster().getSample(b.x + b.width / 2, b.y + b.height / 2, 0)).isZero();
        }
        assertThat(pair.modelIds()).containsExactly("ball-finder");
    }

    @Test
    void segmentPaintsTheObjectsPixelsAndNothingElse() throws Refusal {
        BufferedImage input = photo();
        EditPair pair = new GroundedRecipe(Task.SEGMENT, BALL_FINDER).make(input, instruction("ball"), new SplittableRandom(4));
        Color color = GroundedRecipe.COLORS.get(pair.parameters().get("color"));
        BufferedImage segmentation = BALL_FINDER.groundAll(input, "ball").found().stream().map(ObjectGrounder.Grounding::segmentation)
                .reduce((a, b) -> {
                    BufferedImage union = new BufferedImage(W, H, BufferedImage.TYPE_BYTE_GRAY);
                    for (int y = 0; y < H; y++) {
                        for (int x = 0; x < W; x++) {
                            union.getRaster().setSample(x, y, 0, Math.max(a.getRaster().getSample(x, y, 0), b.getRaster().getSample(x, y, 0)));
                        }
                    }
                    return union;
                }).orElseThrow();
        int painted = 0;
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                int before = input.getRGB(x, y);
                int after = pair.edited().getRGB(x, y) & 0xFFFFFF;
                if (segmentation.getRaster().getSample(x, y, 0) >= 128) {
                    painted++;
                    int r = Math.round(((before >> 16) & 0xFF) * (1 - GroundedRecipe.PAINT_OPACITY) + color.getRed() * GroundedRecipe.PAINT_OPACITY);
                    assertThat((after >> 16) & 0xFF).as("red at %d,%d", x, y).isEqualTo(r);
                    assertThat(pair.mask().getRaster().getSample(x, y, 0)).isEqualTo(255);
                } else {
                    assertThat(after).as("pixel %d,%d off the object", x, y).isEqualTo(before & 0xFFFFFF);
                }
            }
        }
        assertThat(painted).isPositive();
        assertThat(Double.parseDouble(pair.parameters().get("mask_fraction"))).isCloseTo((double) painted / (W * H),
                org.assertj.core.api.Assertions.within(0.001));
        // the sample records the mask's area for the mask-area filter
        org.editstream.schema.EditRequest request = org.editstream.schema.EditRequest.newBuilder()
                .setCaption(org.editstream.schema.CaptionEvent.newBuilder().setId("c-1").setCaption("two balls on a table").build())
                .setTask(Task.SEGMENT).setSeed(1L).setInstruction(instruction("ball")).build();
        org.editstream.schema.EditSample sample = SampleMaker.assemble(request, "segment-paint", pair, "test");
        assertThat(sample.getScores().getMaskArea()).isCloseTo((float) painted / (W * H), org.assertj.core.api.Assertions.within(1e-6f));
    }

    @Test
    void anObjectTheGrounderDoesNotFindIsRefusedWithItsBestScore() {
        Refusal refusal = catchThrowableOfType(Refusal.class,
                () -> new GroundedRecipe(Task.DETECT, BALL_FINDER).make(photo(), instruction("unicorn"), new SplittableRandom(1)));
        assertThat(refusal.reason()).isEqualTo(Reason.OBJECT_NOT_FOUND);
        assertThat(refusal.detail()).contains("\"unicorn\"").contains("0.12");
        Refusal none = catchThrowableOfType(Refusal.class,
                () -> new GroundedRecipe(Task.SEGMENT, BALL_FINDER).make(photo(), instruction(" "), new SplittableRandom(1)));
        assertThat(none.reason()).isEqualTo(Reason.RECIPE_FAILED);
    }
}
