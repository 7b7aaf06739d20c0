package org.editstream.perception;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Finds Tesseract's language data ({@code eng.traineddata}) on this machine. */
public final class Tessdata {
    public static final String INSTALL_HINT =
            "install English OCR data with 'apt-get install tesseract-ocr-eng' or pass --tessdata DIR";

    private Tessdata() {
    }

    /** The folder holding eng.traineddata: the given one, then TESSDATA_PREFIX, then the usual system folders. */
    public static Optional<Path> find(Path configured) {
        List<Path> candidates = new ArrayList<>();
        if (configured != null) {
            candidates.add(configured);
            return candidates.stream().filter(Tessdata::hasEnglish).findFirst();
        }
        String env = System.getenv("TESSDATA_PREFIX");
        if (env != null && !env.isBlank()) {
            candidates.add(Path.of(env));
            candidates.add(Path.of(env, "tessdata"));
        }
        Path debian = Path.of("/usr/share/tesseract-ocr");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                versions.sorted().forEach(v -> candidates.add(v.resolve("tessdata")));
            } catch (IOException e) {
                // unreadable system folder: fall through to the other candidates
            }
        }
        candidates.add(Path.of("/usr/share/tessdata"));
        candidates.add(Path.of("/usr/local/share/tessdata"));
        return candidates.stream().filter(Tessdata::hasEnglish).findFirst();
    }

    private static boolean hasEnglish(Path dir) {
        return Files.isRegularFile(dir.resolve("eng.traineddata"));
    }
}
