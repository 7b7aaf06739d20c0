package org.editstream.models;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The golden fixtures beside the checkout ({@code -Deditstream.shared}, default {@code ../shared}); tests that
 * need them are skipped with a message when they are absent (a user's clone), and fail in CI ({@code CI=true}),
 * where a skip would make a pass vacuous.
 */
public final class Fixtures {
    private Fixtures() {
    }

    /**
     * The device the model tests run on ({@code -Deditstream.device}: auto, cpu, gpu; default auto, a GPU where DJL
     * finds one): the GPU kit runs the parity tests on CUDA this way. Managers made without a device get DJL's
     * default, which is the same.
     */
    public static Device device() {
        return Devices.named(System.getProperty("editstream.device", "auto"));
    }

    public static Path root() {
        Path shared = Path.of(System.getProperty("editstream.shared", "../shared"));
        Path fixtures = shared.resolve("fixtures");
        require(Files.isDirectory(fixtures), "golden fixtures not found at " + fixtures.toAbsolutePath()
                + " (set -Deditstream.shared=DIR to the shared folder)");
        return fixtures;
    }

    public static Path path(String relative) {
        Path p = root().resolve(relative);
        require(Files.exists(p), "fixture " + p + " not found");
        return p;
    }

    /** Skips the test with {@code problem} outside CI; fails it in CI. */
    private static void require(boolean present, String problem) {
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(problem + " (CI=true: a missing fixture fails)");
        }
        assumeTrue(present, problem + "; skipping");
    }

    /**
     * The names (without {@code .safetensors}) of the golden files in a fixture folder, sorted: a test's cases are
     * whatever the fixture tree holds.
     */
    public static List<String> cases(String folder) {
        try (Stream<Path> files = Files.list(path(folder))) {
            List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))
                    .map(n -> n.substring(0, n.length() - ".safetensors".length())).sorted().toList();
            require(!names.isEmpty(), "no golden cases in " + folder);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Map<String, NDArray> golden(NDManager manager, String relative) {
        return Safetensors.read(manager, path(relative));
    }

    /** Largest absolute difference of two arrays of one shape. */
    public static double maxAbsDiff(NDArray actual, NDArray expected) {
        assertThat(actual.getShape()).as("shape").isEqualTo(expected.getShape());
        return actual.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)
                .sub(expected.toType(ai.djl.ndarray.types.DataType.FLOAT64, false)).abs().max().getDouble();
    }

    /** Asserts the arrays agree within {@code tolerance} (max abs), naming what is compared. */
    public static void assertClose(String what, NDArray actual, NDArray expected, double tolerance) {
        double diff = maxAbsDiff(actual, expected);
        assertThat(diff).as(what + ": max abs diff " + diff + " (tolerance " + tolerance + ")").isLessThanOrEqualTo(tolerance);
    }
}
