package org.editstream.recipes;

import org.editstream.diffusion.StableDiffusion;
import org.editstream.diffusion.TinyPipeline;
import org.editstream.imaging.Masks;
import org.editstream.perception.ObjectGrounder;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The region recipe on the tiny model (noise, not pictures) with masks given directly through the grounder port:
 * which image is grounded, where the pair may differ, the candidates and the chooser.
 */
class RegionRecipeTest {
    private static final int SIZE = 64;
    private static final String INPUT = "a photo of a red dog on the grass";
    private static final String OUTPUT = "a photo of a red cat on the grass";

    /** Grounds every object in the left half of the image, and remembers what it was shown. */
    private static final class LeftHalf implements ObjectGrounder {
        final List<BufferedImage> shown = new ArrayList<>();

        @Override
        public Optional<Grounding> ground(BufferedImage image, String objectName) {
            shown.add(image);
            BufferedImage seg = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
            Graphics2D g = seg.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth() / 2, image.getHeight());
            g.dispose();
            return Optional.of(new Grounding(new Rectangle(0, 0, image.getWidth() / 2, image.getHeight()), seg, 0.9));
        }

        @Override
        public String id() {
            return "left-half grounder";
        }
    }

    @Test
    void theEditStaysInsideTheMaskAndTheInputIsTheGroundedImage() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        LeftHalf grounder = new LeftHalf();
        RegionRecipe recipe = new RegionRecipe(sd, grounder, (c, caption) -> 0, 6, SIZE, SIZE, 1, 1);
        EditPair pair = recipe.make(Task.LOCAL, INPUT, OUTPUT, "dog", new SplittableRandom(3));

        Map<String, String> p = pair.parameters();
        assertThat(p).containsEntry("mask", "PRECISE").containsEntry("candidate", "0").containsEntry("grounded", "dog")
                .containsEntry("mode", "REPLACE");
        assertThat(Double.parseDouble(p.get("cross_fraction"))).isBetween(0.3, 0.9);
        assertThat(Double.parseDouble(p.get("blend_from"))).isBetween(0.02, 0.2);
        assertThat(Double.parseDouble(p.get("guidance"))).isBetween(4.0, 8.0);
        assertThat(pair.mask()).isNotNull();
        assertThat(pair.modelIds()).contains("left-half grounder");

        // the input of the pair is the image the object was grounded in (one 8-bit level for the recorded g)
        assertThat(maxDifference(pair.input(), grounder.shown.get(0), 0, SIZE)).isLessThanOrEqualTo(2);
        // the target was blended back to the source outside the mask: far from the mask the pair agrees much
        // more than inside it (the VAE decoder mixes a few pixels across the boundary)
        double inside = meanDifference(pair.input(), pair.edited(), 0, SIZE / 2 - 8);
        double outside = meanDifference(pair.input(), pair.edited(), SIZE / 2 + 8, SIZE);
        assertThat(inside).isPositive();
        assertThat(outside).isLessThan(inside / 4);
    }

    @Test
    void aGivenImageIsEditedThroughItsInversionAndKeepsItsPixelsOutsideTheMask() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        LeftHalf grounder = new LeftHalf();
        RegionRecipe recipe = new RegionRecipe(sd, grounder, (c, caption) -> 0, 4, SIZE, SIZE, 1, 1);
        BufferedImage photo = new BufferedImage(80, 80, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = photo.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, Color.ORANGE, 80, 80, Color.BLUE));
        g.fillRect(0, 0, 80, 80);
        g.dispose();
        BufferedImage resized = org.editstream.imaging.Images.resized(photo, SIZE, SIZE);

        EditPair pair = recipe.make(Task.LOCAL, INPUT, OUTPUT, "dog", photo, new SplittableRandom(3));
        assertThat(pair.parameters()).containsEntry("input", "given").containsEntry("inversion", "ddim");
        assertThat(pair.modelIds()).contains("stable-diffusion ddim-inversion+p2p");
        // the pair's input is the given image itself, and it is what the object was grounded in
        assertThat(maxDifference(pair.input(), resized, 0, SIZE)).isZero();
        assertThat(grounder.shown).hasSize(1);
        assertThat(maxDifference(grounder.shown.get(0), resized, 0, SIZE)).isZero();
        // outside the (precise, left-half) mask the edit is the given image pixel for pixel; inside it is the edit
        assertThat(maxDifference(pair.input(), pair.edited(), SIZE / 2, SIZE)).isZero();
        assertThat(meanDifference(pair.input(), pair.edited(), 0, SIZE / 2)).isPositive();

        // add never edits a given image: its source is the output caption's image
        EditPair added = recipe.make(Task.ADD, "a photo of the grass", "a photo of a red ball on the grass", "red ball",
                photo, new SplittableRandom(3));
        assertThat(added.parameters()).containsEntry("input", "generated").doesNotContainKey("inversion");
    }

    @Test
    void candidatesCycleMaskKindsAndTheChooserPicks() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        List<String> offered = new ArrayList<>();
        RegionRecipe recipe = new RegionRecipe(sd, new LeftHalf(), (candidates, caption) -> {
            candidates.forEach(c -> offered.add(c.parameters().get("mask")));
            assertThat(caption).isEqualTo(OUTPUT);
            return 2;
        }, 3, SIZE, SIZE, 3, 2);
        EditPair pair = recipe.make(Task.TEXTURE, INPUT, OUTPUT, "dog", new SplittableRandom(5));
        assertThat(offered).containsExactly("PRECISE", "DILATED", "BOX");
        assertThat(pair.parameters()).containsEntry("candidate", "2").containsEntry("mask", "BOX").containsEntry("candidates", "3");
        assertThat(Masks.coverage(pair.mask())).isBetween(0.45, 0.55);
    }

    @Test
    void addGroundsInTheImageOfTheOutputCaptionAndPairsItAsTheEdit() throws Refusal {
        StableDiffusion sd = TinyPipeline.get();
        LeftHalf grounder = new LeftHalf();
        RegionRecipe recipe = new RegionRecipe(sd, grounder, (c, caption) -> 0, 4, SIZE, SIZE, 1, 1);
        EditPair pair = recipe.make(Task.ADD, "a photo of the grass", "a photo of a red ball on the grass", "red ball",
                new SplittableRandom(9));
        assertThat(maxDifference(pair.edited(), grounder.shown.get(0), 0, SIZE)).isLessThanOrEqualTo(2);
        assertThat(meanDifference(pair.input(), pair.edited(), 0, SIZE / 2 - 8)).isPositive();
    }

    @Test
    void anObjectTheGrounderCannotFindIsARefusal() {
        ObjectGrounder none = new ObjectGrounder() {
            @Override
            public Optional<Grounding> ground(BufferedImage image, String objectName) {
                return Optional.empty();
            }

            @Override
            public String id() {
                return "finds nothing";
            }
        };
        RegionRecipe recipe = new RegionRecipe(TinyPipeline.get(), none, (c, caption) -> 0, 2, SIZE, SIZE, 1, 1);
        Refusal r = catchThrowableOfType(Refusal.class,
                () -> recipe.make(Task.REMOVE, INPUT, "a photo of the grass", "dog", new SplittableRandom(1)));
        assertThat(r.reason()).isEqualTo(Reason.OBJECT_NOT_FOUND);
        assertThat(r.detail()).contains("did not find \"dog\"").contains("best score: not given");
    }

    private static double meanDifference(BufferedImage a, BufferedImage b, int x0, int x1) {
        long sum = 0;
        long n = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = x0; x < x1; x++) {
                int pa = a.getRGB(x, y);
                int pb = b.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) {
                    sum += Math.abs(((pa >> s) & 0xFF) - ((pb >> s) & 0xFF));
                    n++;
                }
            }
        }
        return (double) sum / n;
    }

    private static int maxDifference(BufferedImage a, BufferedImage b, int x0, int x1) {
        int max = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = x0; x < x1; x++) {
                int pa = a.getRGB(x, y);
                int pb = b.getRGB(x, y);
                for (int s = 0; s < 24; s += 8) {
                    max = Math.max(max, Math.abs(((pa >> s) & 0xFF) - ((pb >> s) & 0xFF)));
                }
            }
        }
        return max;
    }
}
