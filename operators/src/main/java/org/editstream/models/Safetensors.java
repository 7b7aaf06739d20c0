package org.editstream.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Tensors in the safetensors format, read with DJL into arrays named as in the file. */
public final class Safetensors {
    /** Headers larger than this are not a safetensors file (the format caps them at 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private Safetensors() {
    }

    /** Every tensor of the file, by name, owned by {@code manager}. */
    public static Map<String, NDArray> read(NDManager manager, Path file) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
            for (NDArray array : NDList.decode(manager, in)) {
                tensors.put(array.getName(), array);
            }
        } catch (IOException | RuntimeException e) {
            throw new ModelException("cannot read safetensors file " + file + ": " + e.getMessage(), e);
        }
        return tensors;
    }

    /** The file's {@code __metadata__} strings (empty when it has none). */
    public static Map<String, String> metadata(Path file) {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] length = in.readNBytes(8);
            long size = ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (length.length < 8 || size <= 0 || size > MAX_HEADER_BYTES) {
                throw new ModelException(file + " is not a safetensors file (header length " + size + ")");
            }
            JsonNode header = new ObjectMapper().readTree(in.readNBytes((int) size));
            Map<String, String> metadata = new LinkedHashMap<>();
            header.path("__metadata__").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            return metadata;
        } catch (IOException e) {
            throw new ModelException("cannot read the header of " + file + ": " + e.getMessage(), e);
        }
    }
}
