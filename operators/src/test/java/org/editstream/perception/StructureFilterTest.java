package org.editstream.perception;

import org.editstream.filters.FilterChain;
import org.editstream.filters.FilterSettings;
import org.editstream.imaging.Images;
import org.editstream.models.Fixtures;
import org.editstream.schema.EditSample;
import org.editstream.schema.Scores;
import org.editstream.schema.Task;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.awt.image.RescaleOp;
import java.util.EnumSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The structure filter on constructed pairs, through the scoring host with the depth fixture: an unchanged image
 * has distance 0; a mirrored one (a new layout) is far; the filter keeps the first and rejects the second at a limit
 * between them; the host records nothing for a request that does not ask.
 */
class StructureFilterTest {
    @Test
    void aMirroredSceneFailsTheStructureLimitThatTheSameSceneKeeps() throws Exception {
        ScoringHost host = ScoringHost.forModels(new ScoringHost.Models(null, Fixtures.path("depth-tiny"), null));
        BufferedImage scene = scene();
        BufferedImage mirrored = mirrored(scene);
        BufferedImage darker = new RescaleOp(0.8f, 0f, null).filter(scene, null);

        double same = host.score(request(scene, scene, true)).get().structureL1();
        double mirror = host.score(request(scene, mirrored, true)).get().structureL1();
        double dimmed = host.score(request(scene, darker, true)).get().structureL1();
        assertThat(same).isZero();
        assertThat(mirror).isGreaterThan(dimmed).isGreaterThan(0);
        assertThat(host.score(request(scene, mirrored, false)).get().structureL1()).as("not asked").isNull();

        double limit = (dimmed + mirror) / 2;
        FilterChain chain = FilterSettings.defaults().withMaxStructureL1(Map.of(Task.COLOR, limit))
                .chain(false, false, true, false, EnumSet.noneOf(Task.class));
        chain.check(sample(dimmed));
        assertThatThrownBy(() -> chain.check(sample(mirror))).hasMessageContaining("FILTER_STRUCTURE");
    }

    private static ScoringHost.Request request(BufferedImage input, BufferedImage edited, boolean structure) {
        return new ScoringHost.Request(input, edited, null, null, "make it darker", Task.COLOR, structure);
    }

    private static EditSample sample(double structure) {
        EditSample s = new EditSample();
        s.setTask(Task.COLOR);
        s.setScores(Scores.newBuilder().setStructureL1((float) structure).setPixelL1(0.2f).build());
        return s;
    }

    private static BufferedImage scene() {
        BufferedImage image = new BufferedImage(96, 64, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        g.setPaint(new java.awt.GradientPaint(0, 0, new Color(30, 60, 140), 96, 0, new Color(230, 220, 200)));
        g.fillRect(0, 0, 96, 64);
        g.setColor(new Color(200, 40, 30));
        g.fillRect(8, 20, 30, 40);
        g.dispose();
        return image;
    }

    private static BufferedImage mirrored(BufferedImage image) {
        BufferedImage out = Images.copy(image);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                out.setRGB(image.getWidth() - 1 - x, y, image.getRGB(x, y));
            }
        }
        return out;
    }
}
