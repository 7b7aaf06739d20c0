package org.editstream.recipes;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import org.editstream.diffusion.StableDiffusion;
import org.editstream.models.Fixtures;
import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The background recipe on the tiny inpainting UNet, with the subject given through the grounder port. */
class BackgroundRecipeTest {
    private static final int SIZE = 64;
    private static StableDiffusion inpainter;

    @BeforeAll
    static void load() {
        inpainter = StableDiffusion.load(Fixtures.path("sd-tiny"), Fixtures.path("sd-tiny-inpaint/unet"), Device.cpu(),
                DataType.FLOAT32);
    }

    @AfterAll
    static void close() {
        inpainter.close();
    }

    /** The subject is the centre square of the image. */
    private static final ObjectGrounder CENTRE = new ObjectGrounder() {
        @Override
        public Optional<Grounding> ground(BufferedImage image, String objectName) {
            Rectangle box = new Rectangle(16, 16, 32, 32);
            BufferedImage seg = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
            Graphics2D g = seg.createGraphics();
            g.setColor(Color.WHITE);
            g.fill(box);
            g.dispose();
            return Optional.of(new Grounding(box, seg, 0.8));
        }

        @Override
        public String id() {
            return "centre grounder";
        }
    };

    private static BufferedImage photo() {
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, Color.GREEN, SIZE, SIZE, Color.GRAY));
        g.fillRect(0, 0, SIZE, SIZE);
        g.setColor(Color.RED);
        g.fillOval(18, 18, 28, 28);
        g.dispose();
        return image;
    }

    @Test
    void theSubjectKeepsItsPixelsAndTheBackgroundIsRepainted() throws Refusal {
        List<String> seeds = new ArrayList<>();
        BackgroundRecipe recipe = new BackgroundRecipe(inpainter, CENTRE, (candidates, caption) -> {
            candidates.forEach(c -> seeds.add(c.parameters().get("noise_seed")));
            return candidates.size() - 1;
        }, 3, SIZE, SIZE, 3, 2);
        BufferedImage input = photo();
        EditPair pair = recipe.make(input, null, "a red ball", "a red ball on a beach", "ball",
                new SplittableRandom(4));

        assertThat(seeds).hasSize(3).doesNotHaveDuplicates();
        assertThat(pair.parameters()).containsEntry("candidate", "2").containsEntry("mask", "BACKGROUND")
                .containsEntry("input", "given");
        assertThat(Double.parseDouble(pair.parameters().get("guidance"))).isBetween(5.0, 10.0);
        // well inside the subject the edit is the input, pixel for pixel; the border of the image is repainted
        for (int y = 24; y < 40; y++) {
            for (int x = 24; x < 40; x++) {
                assertThat(pair.edited().getRGB(x, y)).isEqualTo(input.getRGB(x, y));
            }
        }
        int changed = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < 6; x++) {
                changed += pair.edited().getRGB(x, y) != input.getRGB(x, y) ? 1 : 0;
            }
        }
        assertThat(changed).isGreaterThan(SIZE * 6 / 2);
        assertThat(pair.mask()).isNotNull();
    }

    @Test
    void withoutASubjectToKeepTheEditIsRefused() {
        BackgroundRecipe recipe = new BackgroundRecipe(inpainter, CENTRE, (candidates, caption) -> 0, 2, SIZE, SIZE, 1, 1);
        Refusal refusal = org.assertj.core.api.Assertions.catchThrowableOfType(Refusal.class,
                () -> recipe.make(photo(), null, "a red ball", "a red ball on a beach", " ", new SplittableRandom(1)));
        assertThat(refusal.reason()).isEqualTo(org.editstream.schema.Reason.RECIPE_FAILED);
        assertThat(refusal.detail()).contains("main subject");
    }
}
