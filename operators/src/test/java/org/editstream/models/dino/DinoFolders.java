package org.editstream.models.dino;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.editstream.models.Fixtures;
import org.editstream.models.ModelFolder;
import org.editstream.models.Safetensors;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * An original-layout DINOv2 folder made from the depth-tiny fixture's backbone: its {@code pretrained.} tensors under
 * their names without the prefix (the names of DINOv2's own checkpoints), and its config.
 */
public final class DinoFolders {
    private DinoFolders() {
    }

    public static Path fromDepthFixture(Path folder) throws IOException {
        Path depth = Fixtures.path("depth-tiny");
        Files.createDirectories(folder);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDList backbone = new NDList();
            for (Map.Entry<String, NDArray> e : Safetensors.read(manager, ModelFolder.weights(depth)).entrySet()) {
                if (e.getKey().startsWith("pretrained.")) {
                    e.getValue().setName(e.getKey().substring("pretrained.".length()));
                    backbone.add(e.getValue());
                }
            }
            try (OutputStream out = Files.newOutputStream(folder.resolve("model.safetensors"))) {
                backbone.encode(out, NDList.Encoding.SAFETENSORS);
            }
        }
        Files.copy(depth.resolve("config.json"), folder.resolve("config.json"));
        return folder;
    }
}
