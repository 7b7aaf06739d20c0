package org.editstream.local;

import org.editstream.imaging.ImageEncoder;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.Images;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Rejection;
import org.editstream.tasks.TaskCatalogue;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A browsable folder of what the job made: {@code index.html} (input, edited, mask, instruction, task,
 * scores, parameters per sample; rejections with their reasons), the images, and {@code contact-sheet.png}.
 */
public final class Gallery {
    private static final int THUMB = 160;

    private final Path folder;
    private final List<EditSample> samples = new ArrayList<>();
    private final List<Rejection> rejections = new ArrayList<>();

    public Gallery(Path folder) {
        this.folder = folder;
    }

    public synchronized void add(EditSample sample) throws IOException {
        Path images = Files.createDirectories(folder.resolve("images"));
        write(images.resolve(sample.getSampleId() + ".input.png"), sample.getInputImage());
        write(images.resolve(sample.getSampleId() + ".edited.png"), sample.getEditedImage());
        if (sample.getMask() != null) {
            write(images.resolve(sample.getSampleId() + ".mask.png"), sample.getMask());
        }
        samples.add(sample);
    }

    public synchronized void add(Rejection rejection) {
        rejections.add(rejection);
    }

    private static void write(Path file, ImageRef image) throws IOException {
        byte[] bytes = ImageRefs.inlineBytes(image);
        if (bytes != null) {
            Files.write(file, bytes);
        }
    }

    /** Writes index.html and contact-sheet.png; returns the index. */
    public synchronized Path write() throws IOException {
        Files.createDirectories(folder);
        samples.sort(Comparator.comparing(EditSample::getTaskIndex).thenComparing(EditSample::getCaptionId));
        Files.writeString(folder.resolve("index.html"), html(), StandardCharsets.UTF_8);
        Files.write(folder.resolve("contact-sheet.png"), ImageEncoder.png(contactSheet()));
        return folder.resolve("index.html");
    }

    private String html() {
        StringBuilder h = new StringBuilder();
        h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>EditStream gallery</title>\n<style>")
                .append("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}")
                .append("td,th{border:1px solid #ccc;padding:6px;vertical-align:top;font-size:13px}")
                .append("img{max-width:256px;max-height:256px}code{font-size:12px}</style></head><body>\n")
                .append("<h1>EditStream gallery</h1>\n<p>").append(samples.size()).append(" samples, ")
                .append(rejections.size()).append(" rejections. <a href=\"contact-sheet.png\">Contact sheet</a></p>\n")
                .append("<table><tr><th>task</th><th>instruction</th><th>input</th><th>edited</th><th>mask</th>")
                .append("<th>scores</th><th>parameters</th></tr>\n");
        for (EditSample s : samples) {
            String id = s.getSampleId();
            h.append("<tr><td>").append(TaskCatalogue.nameOf(s.getTask())).append("<br><code>").append(esc(s.getCaptionId()))
                    .append("</code></td><td><b>").append(esc(s.getInstruction())).append("</b><br><i>")
                    .append(esc(s.getInputCaption())).append("</i></td>")
                    .append("<td><img src=\"images/").append(id).append(".input.png\"></td>")
                    .append("<td><img src=\"images/").append(id).append(".edited.png\"></td><td>");
            if (s.getMask() != null) {
                h.append("<img src=\"images/").append(id).append(".mask.png\">");
            }
            h.append("</td><td><code>").append(esc(s.getScores().toString())).append("</code></td><td><code>")
                    .append(esc(s.getGeneration().getRecipe())).append(" ")
                    .append(esc(new TreeMap<>(s.getGeneration().getParameters()).toString())).append("<br>seed ")
                    .append(s.getGeneration().getSeed()).append("<br>").append(esc(s.getGeneration().getModelIds().toString()))
                    .append("</code></td></tr>\n");
        }
        h.append("</table>\n<h2>Rejections</h2>\n<table><tr><th>caption</th><th>stage</th><th>reason</th><th>detail</th></tr>\n");
        for (Rejection r : rejections) {
            h.append("<tr><td><code>").append(esc(r.getCaptionId())).append("</code></td><td>").append(r.getStage())
                    .append("</td><td>").append(r.getReason()).append("</td><td>").append(esc(r.getDetail())).append("</td></tr>\n");
        }
        return h.append("</table></body></html>\n").toString();
    }

    /** One row per sample: input | edited, with the instruction underneath. */
    private BufferedImage contactSheet() throws IOException {
        int cell = THUMB + 8;
        int rowHeight = THUMB + 30;
        int perRow = 2;
        int pairsPerLine = 3;
        int lines = Math.max(1, (samples.size() + pairsPerLine - 1) / pairsPerLine);
        int width = pairsPerLine * (perRow * cell + 16);
        BufferedImage sheet = new BufferedImage(width, lines * rowHeight + 8, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int i = 0; i < samples.size(); i++) {
            EditSample s = samples.get(i);
            int x0 = (i % pairsPerLine) * (perRow * cell + 16) + 8;
            int y0 = (i / pairsPerLine) * rowHeight + 8;
            drawThumb(g, s.getInputImage(), x0, y0);
            drawThumb(g, s.getEditedImage(), x0 + cell, y0);
            g.setColor(Color.DARK_GRAY);
            String label = TaskCatalogue.nameOf(s.getTask()) + ": " + s.getInstruction();
            g.drawString(label.length() > 52 ? label.substring(0, 52) + "..." : label, x0, y0 + THUMB + 16);
        }
        g.dispose();
        return sheet;
    }

    private static void drawThumb(Graphics2D g, ImageRef ref, int x, int y) throws IOException {
        byte[] bytes = ImageRefs.inlineBytes(ref);
        if (bytes == null) {
            return;
        }
        BufferedImage image = Images.toBgr(ImageIO.read(new ByteArrayInputStream(bytes)));
        double scale = Math.min((double) THUMB / image.getWidth(), (double) THUMB / image.getHeight());
        int w = (int) Math.round(image.getWidth() * scale);
        int h = (int) Math.round(image.getHeight() * scale);
        g.drawImage(image, x, y, w, h, null);
    }

    private static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public synchronized Map<String, Integer> samplesPerTask() {
        Map<String, Integer> counts = new TreeMap<>();
        samples.forEach(s -> counts.merge(TaskCatalogue.nameOf(s.getTask()), 1, Integer::sum));
        return counts;
    }

    public synchronized Map<String, Integer> rejectionsPerReason() {
        Map<String, Integer> counts = new TreeMap<>();
        rejections.forEach(r -> counts.merge(r.getReason().name(), 1, Integer::sum));
        return counts;
    }
}
