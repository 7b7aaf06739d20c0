package org.editstream.job;

import org.editstream.perception.ObjectGrounder;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A grounder for tests, named by class as a deployment names its own: it "finds" every object as a disc in
 * the middle of the image, except objects called unicorn, which it never finds, and anything in an image of one
 * colour. The region recipes' masks and the pose task's person boxes come from here, given directly, as the tiny
 * models make noise in which nothing could be found.
 */
public final class CentreGrounder implements ObjectGrounder {
    private final Path models;

    public CentreGrounder(Path models) {
        if (models == null) {
            throw new IllegalArgumentException("the job hands the grounder its models folder");
        }
        this.models = models;
    }

    @Override
    public Optional<Grounding> ground(BufferedImage image, String objectName) {
        if (objectName.contains("unicorn") || isFlat(image)) {
            return Optional.empty();
        }
        int w = image.getWidth();
        int h = image.getHeight();
        Rectangle box = new Rectangle(w / 4, h / 4, w / 2, h / 2);
        BufferedImage segmentation = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = segmentation.createGraphics();
        g.setColor(Color.WHITE);
        g.fillOval(box.x, box.y, box.width, box.height);
        g.dispose();
        return Optional.of(new Grounding(box, segmentation, 0.9));
    }

    private static boolean isFlat(BufferedImage image) {
        int first = image.getRGB(0, 0);
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if (image.getRGB(x, y) != first) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public String id() {
        return "centre-grounder (" + models.getFileName() + ")";
    }
}
