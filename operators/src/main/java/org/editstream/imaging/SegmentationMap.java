package org.editstream.imaging;

import java.awt.image.BufferedImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A semantic segmentation of an image: one class label per pixel, row-major, {@code width} x {@code height}; and its
 * colour-coded rendering as ControlNet's segmentation annotator draws it, in the ADE20K palette ({@link #ADE20K}).
 */
public record SegmentationMap(int[] labels, int width, int height) {
    /** ADE20K's 150 classes and their colours (the resource {@code ade20k-palette.tsv} names its source). */
    public static final Palette ADE20K = Palette.load("ade20k-palette.tsv");

    public SegmentationMap {
        if (labels.length != (long) width * height) {
            throw new IllegalArgumentException(labels.length + " labels for a " + width + "x" + height + " map");
        }
        for (int label : labels) {
            if (label < 0) {
                throw new IllegalArgumentException("negative label " + label);
            }
        }
    }

    /** Class names and their colours, by label. */
    public record Palette(List<String> names, int[] rgb) {
        public Palette {
            names = List.copyOf(names);
            if (rgb.length != names.size()) {
                throw new IllegalArgumentException(names.size() + " names and " + rgb.length + " colours");
            }
        }

        public int size() {
            return rgb.length;
        }

        /** The label's colour as 0xRRGGBB. */
        public int colour(int label) {
            if (label < 0 || label >= rgb.length) {
                throw new IllegalArgumentException("label " + label + " is outside the palette's " + rgb.length + " classes");
            }
            return rgb[label];
        }

        public String name(int label) {
            return names.get(label);
        }

        /**
         * The label whose colour is nearest (squared RGB distance) to a pixel's; of labels sharing a colour, the lowest.
         * A map saved losslessly reads back exactly, except where two classes share a colour (ADE20K's road and
         * skyscraper are both grey 140).
         */
        public int nearest(int pixel) {
            int r = (pixel >> 16) & 0xff;
            int g = (pixel >> 8) & 0xff;
            int b = pixel & 0xff;
            int best = 0;
            int bestDistance = Integer.MAX_VALUE;
            for (int label = 0; label < rgb.length; label++) {
                int dr = r - ((rgb[label] >> 16) & 0xff);
                int dg = g - ((rgb[label] >> 8) & 0xff);
                int db = b - (rgb[label] & 0xff);
                int distance = dr * dr + dg * dg + db * db;
                if (distance < bestDistance) {
                    best = label;
                    bestDistance = distance;
                }
            }
            return best;
        }

        static Palette load(String resource) {
            List<String> names = new ArrayList<>();
            List<Integer> colours = new ArrayList<>();
            try (InputStream in = SegmentationMap.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalStateException("palette resource " + resource + " is missing from the build");
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] f = line.split("\t");
                    if (f.length != 5 || Integer.parseInt(f[0]) != names.size()) {
                        throw new IllegalStateException("palette " + resource + ": malformed line '" + line + "'");
                    }
                    names.add(f[1]);
                    colours.add(Integer.parseInt(f[2]) << 16 | Integer.parseInt(f[3]) << 8 | Integer.parseInt(f[4]));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read palette " + resource, e);
            }
            return new Palette(names, colours.stream().mapToInt(Integer::intValue).toArray());
        }
    }

    /** The label map read back from its rendering: each pixel's nearest palette colour. */
    public static SegmentationMap read(BufferedImage rendering, Palette palette) {
        int w = rendering.getWidth();
        int h = rendering.getHeight();
        int[] pixels = rendering.getRGB(0, 0, w, h, null, 0, w);
        int[] labels = new int[pixels.length];
        int lastPixel = -1;
        int lastLabel = 0;
        for (int i = 0; i < pixels.length; i++) {
            int p = pixels[i] & 0xffffff;
            if (p != lastPixel) { // maps are regions of one colour: most pixels repeat their neighbour's
                lastPixel = p;
                lastLabel = palette.nearest(p);
            }
            labels[i] = lastLabel;
        }
        return new SegmentationMap(labels, w, h);
    }

    /** The colour-coded map: every pixel its label's palette colour (ControlNet's annotator at opacity 1). */
    public BufferedImage render(Palette palette) {
        int[] rgb = new int[labels.length];
        for (int i = 0; i < labels.length; i++) {
            rgb[i] = palette.colour(labels[i]);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /** A label and the fraction of pixels it covers. */
    public record Share(int label, double fraction) {
    }

    /** The labels present, largest share first. */
    public List<Share> shares() {
        int max = Arrays.stream(labels).max().orElse(0);
        long[] counts = new long[max + 1];
        for (int label : labels) {
            counts[label]++;
        }
        List<Share> out = new ArrayList<>();
        for (int label = 0; label < counts.length; label++) {
            if (counts[label] > 0) {
                out.add(new Share(label, counts[label] / (double) labels.length));
            }
        }
        out.sort(Comparator.comparingDouble(Share::fraction).reversed().thenComparingInt(Share::label));
        return out;
    }
}
