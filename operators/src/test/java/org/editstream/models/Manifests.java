package org.editstream.models;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.DeserializationFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The parameter names and shapes of real architectures, with the configs they were built from. */
public final class Manifests {
    private static final ObjectMapper CONFIGS = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private Manifests() {
    }

    public static JsonNode read(String name) {
        try {
            return new ObjectMapper().readTree(Fixtures.path("manifests/" + name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The manifest's config as a configuration record, read as a config.json would be. */
    public static <T> T config(JsonNode manifest, Class<T> type) {
        return CONFIGS.convertValue(manifest.path("config"), type);
    }

    /** Asserts that what the model asked for is exactly the manifest's parameters (optional ones aside). */
    public static void assertMatches(JsonNode manifest, Map<String, Shape> requested) {
        Map<String, Shape> expected = new TreeMap<>();
        manifest.path("parameters").fields().forEachRemaining(e -> {
            long[] dims = new long[e.getValue().size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = e.getValue().get(i).asLong();
            }
            expected.put(e.getKey(), new Shape(dims));
        });
        assertThat(new TreeMap<>(requested)).isEqualTo(expected);
        assertThat(requested).hasSize(manifest.path("count").asInt());
    }
}
