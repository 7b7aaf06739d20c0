package org.editstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The README's reader snippets ({@code <!-- reader: NAME -->} then a fenced block), run as they stand by the
 * interpreters trainers use: Python from the venv that {@code .ci/run} builds from the wheel stores
 * ({@code editstream.readers.python}), Node with the packages {@code npm ci} installs in
 * {@code jobs/src/test/readers}. Without them a test is skipped with a message, and fails in CI ({@code CI=true}).
 */
final class ReaderSnippets {
    private static final Pattern SNIPPET = Pattern.compile("<!-- reader: ([a-z]+) -->\\s*```[a-z]+\\n(.*?)```", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReaderSnippets() {
    }

    /** Every reader snippet of the README by name. */
    static Map<String, String> fromReadme() throws IOException {
        Path readme = Path.of(System.getProperty("user.dir")).toAbsolutePath().getParent().resolve("README.md");
        Matcher m = SNIPPET.matcher(Files.readString(readme));
        Map<String, String> snippets = new LinkedHashMap<>();
        while (m.find()) {
            snippets.put(m.group(1), m.group(2));
        }
        return snippets;
    }

    static Path python() {
        Path python = Path.of(System.getProperty("editstream.readers.python",
                System.getProperty("user.home") + "/.cache/editstream/readers-venv/bin/python"));
        require(Files.isExecutable(python), "no Python with the readers at " + python
                + " (.ci/run builds it from the wheel stores: pyarrow, pandas, duckdb, datasets, fastavro, pillow)");
        return python;
    }

    static Path nodeModules() {
        Path modules = Path.of(System.getProperty("user.dir")).toAbsolutePath().resolve("src/test/readers/node_modules");
        require(Files.isDirectory(modules.resolve("kafkajs")) && Files.isDirectory(modules.resolve("avsc")),
                "no kafkajs and avsc in " + modules + " (.ci/run runs npm ci in jobs/src/test/readers)");
        return modules;
    }

    /** Runs a Python snippet and then {@code check} in one script in {@code dir}; the check's last line is JSON. */
    static JsonNode runPython(String snippet, String check, Path dir) throws Exception {
        Path script = dir.resolve("reader.py");
        Files.writeString(script, snippet + "\n# the test's check\n" + check + "\n");
        Process p = new ProcessBuilder(python().toString(), script.toString()).directory(dir.toFile())
                .redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("the reader snippet failed (exit " + p.exitValue() + "):\n" + text);
        }
        String[] lines = text.strip().split("\n");
        return JSON.readTree(lines[lines.length - 1]);
    }

    /** Runs a Node snippet in {@code dir} until {@code enough} holds for the lines it printed (or two minutes pass). */
    static List<String> runNode(String snippet, Path dir, Map<String, String> env, Predicate<List<String>> enough) throws Exception {
        Path script = dir.resolve("reader.js");
        Files.writeString(script, snippet);
        ProcessBuilder pb = new ProcessBuilder("node", script.toString()).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().put("NODE_PATH", nodeModules().toString());
        Process p = pb.start();
        List<String> lines = new ArrayList<>();
        try (var reader = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(2));
                } catch (InterruptedException e) {
                    return;
                }
                p.destroyForcibly();
            });
            killer.setDaemon(true);
            killer.start();
            for (String line = reader.readLine(); line != null && System.nanoTime() < deadline; line = reader.readLine()) {
                lines.add(line);
                if (enough.test(lines)) {
                    break;
                }
            }
            killer.interrupt();
        } finally {
            p.destroyForcibly();
        }
        return lines;
    }

    private static void require(boolean present, String problem) {
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(problem + " (CI=true: the readers must be installed)");
        }
        assumeTrue(present, problem + "; skipping");
    }
}
