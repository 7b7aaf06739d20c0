package org.editstream.imaging;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SegmentationMapTest {
    private static final SegmentationMap.Palette ADE = SegmentationMap.ADE20K;

    @Test
    void thePaletteIsAde20ksHundredAndFiftyClasses() {
        assertThat(ADE.size()).isEqualTo(150);
        assertThat(ADE.name(0)).isEqualTo("wall");
        assertThat(ADE.colour(0)).isEqualTo(0x787878); // 120, 120, 120
        assertThat(ADE.name(12)).isEqualTo("person");
        assertThat(ADE.colour(12)).isEqualTo(150 << 16 | 5 << 8 | 61);
        assertThat(ADE.name(149)).isEqualTo("flag");
        assertThat(ADE.colour(149)).isEqualTo(92 << 16 | 255);
        assertThatThrownBy(() -> ADE.colour(150)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLabelMapRendersToThePaletteAndReadsBackToTheSameLabels() throws Exception {
        int w = 50;
        int h = 30;
        int[] labels = new int[w * h];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = (i / 7) % 150;
            if (labels[i] == 48) {
                labels[i] = 47; // skyscraper shares road's grey (below)
            }
        }
        SegmentationMap map = new SegmentationMap(labels, w, h);
        BufferedImage rendering = map.render(ADE);
        for (int i = 0; i < labels.length; i += 13) {
            assertThat(rendering.getRGB(i % w, i / w) & 0xffffff).as("pixel %d", i).isEqualTo(ADE.colour(labels[i]));
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(rendering, "png", png);
        BufferedImage saved = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertThat(SegmentationMap.read(saved, ADE).labels()).isEqualTo(labels);
    }

    @Test
    void readingTakesTheNearestColourAndTheLowestOfASharedOne() {
        assertThat(ADE.colour(6)).isEqualTo(ADE.colour(48));
        assertThat(ADE.nearest(ADE.colour(48))).isEqualTo(6);
        int nearPerson = 152 << 16 | 7 << 8 | 60; // a compressed pixel near person's colour
        assertThat(ADE.nearest(nearPerson)).isEqualTo(12);
    }

    @Test
    void sharesAreTheLabelsPresentLargestFirst() {
        SegmentationMap map = new SegmentationMap(new int[] {3, 3, 3, 7, 7, 0, 3, 3, 7, 3}, 5, 2);
        assertThat(map.shares()).containsExactly(new SegmentationMap.Share(3, 0.6), new SegmentationMap.Share(7, 0.3),
                new SegmentationMap.Share(0, 0.1));
        assertThatThrownBy(() -> new SegmentationMap(new int[3], 2, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SegmentationMap(new int[] {0, -1}, 2, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(List.of(map.width(), map.height())).containsExactly(5, 2);
    }
}
