package org.editstream.job;

import org.editstream.cli.EditStreamCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** A bounded {@code local} run ends only when every caption it sent has an outcome, or says it gave up. */
class LocalBoundedIT {
    @Test
    void theDemoCaptionsAllHaveAnOutcomeAndTheExitCodeIsZero(@TempDir Path work) {
        Result r = local("--gallery", work.resolve("gallery").toString());
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output).doesNotContain("without an outcome");
        assertThat(work.resolve("gallery/index.html")).exists();
        assertThat(work.resolve("gallery/contact-sheet.png")).exists();
    }

    @Test
    void fiveHundredGeneratedCaptionsAllHaveAnOutcome(@TempDir Path work) throws Exception {
        // every fifth caption has no image, and some have a hint of a task that needs one
        Path captions = sceneCaptions(work, 500, (i, image) -> "{\"id\": \"gen-" + i + "\", \"caption\": \"a test scene number "
                + i + "\"" + (i % 5 == 0 ? "" : ", \"image\": \"" + image + "\"") + (i % 7 == 0 ? ", \"task\": \"sketch\"" : "") + "}");
        Result r = local("--captions", captions.toString(), "--gallery", work.resolve("gallery").toString(),
                "--task-mix", "color=3,sketch=1,text=1");
        assertThat(r.exit).as(r.output).isZero();
        assertThat(r.output).doesNotContain("without an outcome");
    }

    @Test
    void aRunThatGivesUpExitsNonZeroAndListsTheIds(@TempDir Path work) throws Exception {
        // an image server that takes every request and never answers: the fetch waits for its 10 s timeout, and
        // no outcome comes within the five-second wait
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Path captions = work.resolve("captions.jsonl");
            String image = "http://127.0.0.1:" + silent.getLocalPort() + "/a.png";
            Files.write(captions, List.of("{\"id\": \"wait-1\", \"caption\": \"a test scene\", \"image\": \"" + image + "\"}",
                    "{\"id\": \"wait-2\", \"caption\": \"another test scene\", \"image\": \"" + image + "\"}"));
            List<Socket> held = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (!silent.isClosed()) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Result r = local("--captions", captions.toString(), "--gallery", work.resolve("gallery").toString(),
                    "--task-mix", "color=1", "--allow-http-images", "--http-image-host", "127.0.0.1", "--outcome-wait", "PT5S");
            assertThat(r.exit).as(r.output).isEqualTo(1);
            assertThat(r.output).contains("Gave up (no outcome for 5 s (--outcome-wait)); captions without an outcome: 2: wait-1, wait-2");
            assertThat(work.resolve("gallery/index.html")).exists();
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void sigtermOnFollowWritesTheSummaryAndTheWholeGallery(@TempDir Path work) throws Exception {
        Path captions = sceneCaptions(work, 20, (i, image) -> "{\"id\": \"follow-" + i + "\", \"caption\": \"a test scene number "
                + i + "\", \"image\": \"" + image + "\"}");
        Path gallery = work.resolve("gallery");
        Path log = work.resolve("local.log");
        Process local = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), "org.editstream.cli.EditStreamCommand", "local", "--follow",
                "--captions", captions.toString(), "--gallery", gallery.toString(), "--task-mix", "color=1")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(3);
            while (local.isAlive() && !Files.readString(log).contains("Flink dashboard") && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(5000); // some outcomes arrive
            local.destroy(); // SIGTERM, as Ctrl-C
            assertThat(local.waitFor(2, java.util.concurrent.TimeUnit.MINUTES)).as(Files.readString(log)).isTrue();
        } finally {
            local.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(output).contains("Samples per task:").contains("Gallery: ");
        assertThat(gallery.resolve("index.html")).exists();
        assertThat(gallery.resolve("contact-sheet.png")).exists();
    }

    /** A captions file of {@code n} lines, each written by {@code line} from its index and its scene image's file name. */
    private static Path sceneCaptions(Path work, int n, java.util.function.BiFunction<Integer, String, String> line) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Path image = work.resolve("scene-" + i + ".png");
            Files.write(image, TestImages.png(TestImages.scene(48, 32, i)));
            lines.add(line.apply(i, image.getFileName().toString()));
        }
        return Files.write(work.resolve("captions.jsonl"), lines);
    }

    private static Result local(String... args) {
        StringWriter text = new StringWriter();
        CommandLine cli = EditStreamCommand.commandLine();
        cli.setOut(new PrintWriter(text, true));
        cli.setErr(new PrintWriter(text, true));
        List<String> all = new ArrayList<>(List.of("local"));
        all.addAll(List.of(args));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Result(exit, text.toString());
    }

    private record Result(int exit, String output) {
    }
}
