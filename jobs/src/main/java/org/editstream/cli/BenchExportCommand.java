package org.editstream.cli;

import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.io.LocalOutputFile;
import org.editstream.export.ParquetRows;
import org.editstream.export.TrainingRows;
import org.editstream.export.WebDatasetShard;
import org.editstream.local.DemoCaptions;
import org.editstream.recipes.EditPair;
import org.editstream.recipes.SampleMaker;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.EditRequest;
import org.editstream.schema.EditSample;
import org.editstream.schema.Instruction;
import org.editstream.schema.Task;
import org.editstream.schema.export.TrainingRow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import javax.imageio.ImageIO;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.RescaleOp;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Export throughput: 512x512 samples (real photos, PNG) written as Parquet and as WebDataset shards",
                "to a local folder, against the disk's sequential write speed measured in the same run. Nothing is asserted."})
class BenchExportCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--samples", defaultValue = "400", description = "Samples per format (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--dir", description = "Folder to write in (default: a temporary folder, deleted after).")
    Path dir;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path work = dir == null ? Files.createTempDirectory("editstream-bench-export") : Files.createDirectories(dir);
        List<EditSample> distinct = samples(work);
        long sampleBytes = distinct.stream().mapToLong(s -> s.getInputImage().getData().remaining() + s.getEditedImage().getData().remaining()).sum()
                / distinct.size();
        out.printf("%d samples of 512x512 (two PNGs, %.0f KB a sample on average), in %s%n", samples, sampleBytes / 1024.0, work);
        for (int run = 0; run < 2; run++) { // the first run warms up the JIT; the second is reported
            Path parquet = work.resolve("bench.parquet");
            Path tar = work.resolve("bench.tar");
            Files.deleteIfExists(parquet);
            double[] p = timed(() -> {
                // the rows the sinks write, with their footer (what ExportSinks.parquet's writer does)
                try (ParquetWriter<TrainingRow> writer = ParquetRows.writer(new LocalOutputFile(parquet))) {
                    for (int i = 0; i < samples; i++) {
                        writer.write(TrainingRows.of(distinct.get(i % distinct.size())));
                    }
                }
                try (FileChannel ch = FileChannel.open(parquet, StandardOpenOption.WRITE)) {
                    ch.force(true); // on disk, as the shard and the raw write are
                }
            }, parquet);
            double[] w = timed(() -> {
                try (OutputStream os = new FileOutputStream(tar.toFile())) {
                    WebDatasetShard shard = new WebDatasetShard(os);
                    for (int i = 0; i < samples; i++) {
                        shard.add(distinct.get(i % distinct.size()));
                    }
                    shard.finish();
                    ((FileOutputStream) os).getFD().sync();
                }
            }, tar);
            long bytes = Math.max(Files.size(parquet), Files.size(tar));
            double disk = sequentialWrite(work.resolve("bench.raw"), bytes);
            if (run == 1) {
                out.printf("%-12s %10s %10s %8s%n", "format", "samples/s", "MB/s", "of disk");
                out.printf("%-12s %10.1f %10.1f %7.0f%%%n", "parquet", samples / p[0], p[1] / p[0] / 1e6, 100 * p[1] / p[0] / disk);
                out.printf("%-12s %10.1f %10.1f %7.0f%%%n", "webdataset", samples / w[0], w[1] / w[0] / 1e6, 100 * w[1] / w[0] / disk);
                out.printf("%-12s %10s %10.1f%n", "disk (seq.)", "", disk / 1e6);
            }
            Files.deleteIfExists(parquet);
            Files.deleteIfExists(tar);
        }
        if (dir == null) {
            try (var walk = Files.walk(work)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return 0;
    }

    private interface Work {
        void run() throws Exception;
    }

    /** {seconds, bytes written}. */
    private static double[] timed(Work work, Path file) throws Exception {
        long start = System.nanoTime();
        work.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new double[] {seconds, Files.size(file)};
    }

    /** Bytes/s of writing {@code bytes} in 1 MiB blocks and forcing them to disk. */
    private static double sequentialWrite(Path file, long bytes) throws Exception {
        ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
        new java.util.Random(7).ints(block.capacity() / 4).forEach(block::putInt);
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (long written = 0; written < bytes; written += block.capacity()) {
                block.rewind();
                ch.write(block);
            }
            ch.force(true);
        }
        double rate = bytes / ((System.nanoTime() - start) / 1e9);
        Files.deleteIfExists(file);
        return rate;
    }

    /** Four real photos at 512x512, each with a brightened edit, as samples. */
    private static List<EditSample> samples(Path work) throws Exception {
        Path demo = DemoCaptions.unpack(Files.createTempDirectory(work, "demo"));
        List<EditSample> out = new ArrayList<>();
        int i = 0;
        for (String name : List.of("astronaut.png", "chelsea.png", "coffee.png", "hubble.jpg")) {
            BufferedImage photo = square(ImageIO.read(demo.resolveSibling(name).toFile()));
            BufferedImage edited = new RescaleOp(1.3f, 0, null).filter(photo, null);
            CaptionEvent caption = CaptionEvent.newBuilder().setId("bench-" + i).setCaption("a photo " + i).build();
            EditRequest request = EditRequest.newBuilder().setCaption(caption).setTask(Task.COLOR).setSeed(i)
                    .setInstruction(Instruction.newBuilder().setText("make the photo brighter").setWriter("template")
                            .setTemplateVersion("bench").build()).build();
            out.add(SampleMaker.assemble(request, "color", new EditPair(photo, edited, null,
                    Map.of("operation", "brightness"), List.of("bench"), Map.of()), "bench"));
            i++;
        }
        return out;
    }

    private static BufferedImage square(BufferedImage image) {
        BufferedImage out = new BufferedImage(512, 512, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(image, 0, 0, 512, 512, null);
        g.dispose();
        return out;
    }
}
