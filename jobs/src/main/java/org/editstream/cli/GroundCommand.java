package org.editstream.cli;

import org.editstream.imaging.TextRenderer;
import org.editstream.models.gdino.GroundingDino;
import org.editstream.perception.GroundingHost;
import org.editstream.recipes.GroundingDinoGrounder;
import org.editstream.recipes.ModelsFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "ground", mixinStandardHelpOptions = true,
        description = {"Finds the phrases of a text in an image with Grounding DINO (--models DIR/grounding-dino): one line per",
                "box, with its score, its corners in the image's pixels and its phrase; --out draws them. On a GPU when",
                "DJL finds one, as the job's grounder."})
class GroundCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--models", required = true, description = "Folder of model folders; Grounding DINO in its grounding-dino/.")
    Path models;

    @Option(names = "--image", required = true, description = "The image (PNG, JPEG, ...).")
    Path image;

    @Option(names = "--text", required = true, description = "Phrases ending in '.', e.g. \"a cat. a remote control.\"")
    String text;

    @Option(names = "--box-threshold", defaultValue = "" + GroundingDinoGrounder.BOX_THRESHOLD,
            description = "Least best-token score of a box (default: ${DEFAULT-VALUE}).")
    float boxThreshold;

    @Option(names = "--text-threshold", defaultValue = "" + GroundingDinoGrounder.TEXT_THRESHOLD,
            description = "Least score of a token to be in a box's phrase (default: ${DEFAULT-VALUE}).")
    float textThreshold;

    @Option(names = "--out", description = "PNG to write: the image with the boxes and phrases drawn.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter console = spec.commandLine().getOut();
        Path folder = new ModelsFolder(models.toString()).find(ModelsFolder.Family.GROUNDING).orElseThrow(() ->
                new IllegalArgumentException("no Grounding DINO in " + models.resolve(ModelsFolder.Family.GROUNDING.folderName())
                        + " (config.json, model.safetensors, vocab.txt)"));
        if (!Files.isRegularFile(image)) {
            throw new IllegalArgumentException("no image at " + image);
        }
        BufferedImage picture = ImageIO.read(image.toFile());
        if (picture == null) {
            throw new IllegalArgumentException(image + " is not an image this JVM can read");
        }
        // the per-JVM host the job's grounder uses: the same preprocessing, model and post-processing
        List<GroundingDino.Box> boxes = GroundingHost.forFolder(folder)
                .groundNow(new GroundingHost.Request(picture, text, boxThreshold, textThreshold)).boxes();
        console.printf("%d box(es) above %.2f in %s%n", boxes.size(), boxThreshold, image);
        for (GroundingDino.Box box : boxes) {
            float[] c = box.corners();
            console.printf(Locale.ROOT, "%.3f\t%.1f,%.1f,%.1f,%.1f\t%s%n", box.score(), c[0], c[1], c[2], c[3], box.phrase());
        }
        if (out != null) {
            BufferedImage drawn = new BufferedImage(picture.getWidth(), picture.getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = drawn.createGraphics();
            g.drawImage(picture, 0, 0, null);
            g.setColor(Color.RED);
            g.setStroke(new BasicStroke(Math.max(1, Math.min(picture.getWidth(), picture.getHeight()) / 150f)));
            for (GroundingDino.Box box : boxes) {
                float[] c = box.corners();
                g.drawRect(Math.round(c[0]), Math.round(c[1]), Math.round(c[2] - c[0]), Math.round(c[3] - c[1]));
                if (TextRenderer.fontsInstalled()) { // labels need a font; the boxes do not
                    g.drawString(String.format(Locale.ROOT, "%s %.2f", box.phrase(), box.score()), Math.round(c[0]) + 2,
                            Math.round(c[1]) + 12);
                }
            }
            g.dispose();
            Path parent = out.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            ImageIO.write(drawn, "png", out.toFile());
            console.printf("Wrote %s%n", out);
        }
        return 0;
    }
}
