package org.editstream.avro;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.avro.Schema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The two calls of the Confluent Schema Registry REST API that the wire format needs: register a schema
 * under a subject (its id), and fetch a schema by id. Answers are cached: ids never change meaning.
 */
public final class SchemaRegistryClient {
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The registry does not know a schema id: the record's fault, not the registry's. */
    public static final class UnknownSchemaException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnknownSchemaException(String message) {
            super(message);
        }
    }

    /** The registry could not be reached or answered with an error: an outage, not bad input. */
    public static final class RegistryUnavailableException extends UncheckedIOException {
        private static final long serialVersionUID = 1L;

        RegistryUnavailableException(String message, IOException cause) {
            super(message, cause);
        }
    }

    private final URI base;
    private final HttpClient http;
    private final Duration timeout;
    private final Map<Integer, Schema> byId = new ConcurrentHashMap<>();
    private final Map<String, Integer> registered = new ConcurrentHashMap<>();

    public SchemaRegistryClient(String url, Duration timeout) {
        this.base = URI.create(url.endsWith("/") ? url : url + "/");
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** Registers (or finds) the schema under the subject and returns its id. */
    public int register(String subject, Schema schema) {
        return registered.computeIfAbsent(subject + "\n" + schema, k -> {
            String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
            JsonNode answer = call(HttpRequest.newBuilder(resolve("subjects/" + encode(subject) + "/versions"))
                    .header("Content-Type", CONTENT_TYPE).POST(HttpRequest.BodyPublishers.ofString(body)), subject);
            int id = answer.path("id").asInt(-1);
            if (id < 0) {
                throw new RegistryUnavailableException("registry answered without an id for subject " + subject
                        + ": " + answer, new IOException("no id"));
            }
            byId.putIfAbsent(id, schema);
            return id;
        });
    }

    /** The schema registered under this id. */
    public Schema schema(int id) {
        return byId.computeIfAbsent(id, k -> {
            JsonNode answer = call(HttpRequest.newBuilder(resolve("schemas/ids/" + id)).GET(), "schema id " + id);
            return new Schema.Parser().parse(answer.path("schema").asText());
        });
    }

    private JsonNode call(HttpRequest.Builder request, String what) {
        HttpResponse<String> response;
        try {
            response = http.send(request.timeout(timeout).header("Accept", CONTENT_TYPE).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new RegistryUnavailableException("schema registry at " + base + " unreachable (" + what + "): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryUnavailableException("interrupted while asking the schema registry for " + what,
                    new IOException(e));
        }
        if (response.statusCode() == 404) {
            throw new UnknownSchemaException("schema registry at " + base + " knows no " + what);
        }
        if (response.statusCode() / 100 != 2) {
            throw new RegistryUnavailableException("schema registry at " + base + " answered " + response.statusCode()
                    + " for " + what + ": " + response.body(), new IOException("HTTP " + response.statusCode()));
        }
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new RegistryUnavailableException("schema registry answered invalid JSON for " + what, e);
        }
    }

    private URI resolve(String path) {
        return base.resolve(path);
    }

    private static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
