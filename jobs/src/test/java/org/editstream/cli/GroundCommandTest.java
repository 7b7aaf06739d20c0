package org.editstream.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.editstream.models.Fixtures;
import org.editstream.models.gdino.BertTokenizer;
import org.editstream.models.gdino.GroundingDino;
import org.editstream.models.gdino.GroundingDinoProcessor;
import org.editstream.models.gdino.GroundingText;
import org.editstream.recipes.ModelsFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

class GroundCommandTest {
    private static final String TEXT = "a cat. a remote control.";
    private static final float THRESHOLD = 0.38f;

    @Test
    void printsTheBoxesTheModelFindsAndDrawsThem(@TempDir Path work) throws Exception {
        Path folder = Fixtures.path("grounding-dino-tiny");
        Path models = Files.createDirectories(work.resolve("models"));
        Files.createSymbolicLink(models.resolve(ModelsFolder.Family.GROUNDING.folderName()), folder.toAbsolutePath());
        Path imageFile = folder.resolve("golden/image1.png");
        BufferedImage image = ImageIO.read(imageFile.toFile());
        List<GroundingDino.Box> expected;
        BertTokenizer tokenizer = BertTokenizer.load(folder);
        try (GroundingDino model = GroundingDino.load(folder, Device.cpu(), DataType.FLOAT32);
             NDManager m = model.manager().newSubManager()) {
            GroundingDinoProcessor.Pixels pixels = GroundingDinoProcessor.load(folder).pixels(m, List.of(image));
            GroundingText text = GroundingText.of(tokenizer, List.of(TEXT));
            GroundingDino.Detection d = model.detect(model.encode(pixels.values(), pixels.mask(), text));
            expected = GroundingDino.boxes(d.logits().get(0), d.boxes().get(0), text.ids()[0], THRESHOLD, 0.25f,
                    image.getHeight(), image.getWidth(), tokenizer);
        }
        assertThat(expected).isNotEmpty();

        Path out = work.resolve("drawn/boxes.png");
        StringWriter printed = new StringWriter();
        CommandLine cli = EditStreamCommand.commandLine();
        cli.setOut(new PrintWriter(printed));
        int code = cli.execute("ground", "--models", models.toString(), "--image", imageFile.toString(), "--text", TEXT,
                "--box-threshold", Float.toString(THRESHOLD), "--out", out.toString());
        assertThat(code).as(printed.toString()).isZero();
        for (GroundingDino.Box box : expected) {
            float[] c = box.corners();
            assertThat(printed.toString()).contains(String.format(Locale.ROOT, "%.3f\t%.1f,%.1f,%.1f,%.1f\t%s", box.score(),
                    c[0], c[1], c[2], c[3], box.phrase()));
        }
        assertThat(printed.toString()).contains(expected.size() + " box(es) above 0.38");
        BufferedImage drawn = ImageIO.read(out.toFile());
        assertThat(drawn.getWidth()).isEqualTo(image.getWidth());
        assertThat(drawn.getHeight()).isEqualTo(image.getHeight());
        float[] c = expected.get(0).corners();
        int x = Math.max(0, Math.min(image.getWidth() - 1, Math.round(c[0])));
        int y = Math.max(0, Math.min(image.getHeight() - 1, Math.round((c[1] + c[3]) / 2)));
        assertThat(drawn.getRGB(x, y) & 0xFFFFFF).as("the first box's left edge").isEqualTo(0xFF0000);
    }

    @Test
    void aModelsFolderWithoutGroundingDinoOrAMissingImageIsAClearError(@TempDir Path work) throws Exception {
        StringWriter errors = new StringWriter();
        CommandLine cli = EditStreamCommand.commandLine();
        cli.setErr(new PrintWriter(errors));
        assertThat(cli.execute("ground", "--models", work.toString(), "--image", "x.png", "--text", TEXT)).isEqualTo(2);
        assertThat(errors.toString()).contains("no Grounding DINO in").contains("grounding-dino");
        Files.createSymbolicLink(work.resolve(ModelsFolder.Family.GROUNDING.folderName()),
                Fixtures.path("grounding-dino-tiny").toAbsolutePath());
        StringWriter more = new StringWriter();
        cli.setErr(new PrintWriter(more));
        assertThat(cli.execute("ground", "--models", work.toString(), "--image", work.resolve("none.png").toString(),
                "--text", TEXT)).isEqualTo(2);
        assertThat(more.toString()).contains("no image at");
    }
}
