package org.editstream.recipes;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.imaging.SegmentationMap;
import org.editstream.models.Fixtures;
import org.editstream.models.segformer.Segformer;
import org.editstream.perception.SegmapHost;
import org.editstream.schema.Instruction;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SegmapRecipeTest {
    private static Instruction direction(String direction) {
        return Instruction.newBuilder().setText("draw the semantic segmentation map").setWriter("template")
                .setTemplateVersion("t").setIntent(Map.of("direction", direction)).build();
    }

    private static List<BufferedImage> goldenImages() throws Exception {
        List<BufferedImage> images = new ArrayList<>();
        try (Stream<Path> files = Files.list(Fixtures.path("segformer-tiny/golden"))) {
            for (Path png : files.filter(f -> f.getFileName().toString().endsWith(".png")).sorted().toList()) {
                images.add(ImageIO.read(png.toFile()));
            }
        }
        return images;
    }

    @Test
    void theHostsMapsAreTheModelsAtEachImagesSizeAlsoInOneBatch() throws Exception {
        Path folder = Fixtures.path("segformer-tiny");
        SegmapHost host = SegmapHost.forFolder(folder);
        List<BufferedImage> images = goldenImages();
        images.add(ColorRecipeTest.scene()); // another size
        List<CompletableFuture<SegmentationMap>> maps = images.stream().map(host::segment).toList();
        try (Segformer model = Segformer.load(folder, Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            for (int i = 0; i < images.size(); i++) {
                BufferedImage image = images.get(i);
                int[] expected = model.segmentation(model.logits(model.pixelValues(m, List.of(image))).get(0),
                        image.getWidth(), image.getHeight());
                SegmentationMap map = maps.get(i).get();
                assertThat(List.of(map.width(), map.height())).containsExactly(image.getWidth(), image.getHeight());
                assertThat(map.labels()).as("image %d", i).isEqualTo(expected);
            }
        }
    }

    @Test
    void thePairIsTheColourCodedMapInEitherDirection() throws Exception {
        SegmapHost host = SegmapHost.forFolder(Fixtures.path("segformer-tiny"));
        BufferedImage image = goldenImages().get(0);
        SegmentationMap map = host.segmentNow(image);
        SegmapRecipe recipe = new SegmapRecipe(host);

        EditPair toMap = recipe.make(image, direction("to_map"), new SplittableRandom(2));
        assertThat(toMap.input()).isSameAs(image);
        assertThat(PoseRecipeTest.pixels(toMap.edited())).isEqualTo(PoseRecipeTest.pixels(map.render(SegmentationMap.ADE20K)));
        assertThat(SegmentationMap.read(toMap.edited(), SegmentationMap.ADE20K).labels()).isEqualTo(map.labels());
        String largest = SegmentationMap.ADE20K.name(map.shares().get(0).label());
        assertThat(toMap.parameters()).containsEntry("map", "segmap").containsEntry("palette", "ade20k")
                .containsEntry("classes", Integer.toString(map.shares().size()));
        assertThat(toMap.parameters().get("largest_classes")).startsWith(largest + " ");
        assertThat(toMap.modelIds()).containsExactly(host.id());

        EditPair fromMap = recipe.make(image, direction("from_map"), new SplittableRandom(2));
        assertThat(fromMap.edited()).isSameAs(image);
        assertThat(PoseRecipeTest.pixels(fromMap.input())).isEqualTo(PoseRecipeTest.pixels(toMap.edited()));
    }
}
