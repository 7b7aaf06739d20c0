package org.editstream.local;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/** The bundled demo captions and their photos (public domain / CC0, see demo/LICENSES.md), unpacked to a folder. */
public final class DemoCaptions {
    private static final List<String> FILES = List.of("captions.jsonl", "astronaut.png", "chelsea.png", "coffee.png",
            "coffee-sign.png", "hubble.jpg", "LICENSES.md");

    private DemoCaptions() {
    }

    /** Copies the demo set into {@code folder} and returns the captions file. */
    public static Path unpack(Path folder) throws IOException {
        Files.createDirectories(folder);
        for (String name : FILES) {
            try (InputStream in = DemoCaptions.class.getResourceAsStream("/demo/" + name)) {
                if (in == null) {
                    throw new IOException("demo resource /demo/" + name + " is missing from the jar");
                }
                Files.copy(in, folder.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return folder.resolve("captions.jsonl");
    }
}
