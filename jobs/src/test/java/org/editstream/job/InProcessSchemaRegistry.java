package org.editstream.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The two endpoints of the Confluent Schema Registry REST API the wire format uses, in process, as the
 * registry documents them: POST /subjects/{subject}/versions {"schema": ...} -> {"id": n}, and
 * GET /schemas/ids/{id} -> {"schema": ...} or 404 with error code 40403.
 */
final class InProcessSchemaRegistry implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, String> schemas = new ConcurrentHashMap<>();
    final List<String> subjects = new CopyOnWriteArrayList<>();

    InProcessSchemaRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/subjects/", this::register);
        server.createContext("/schemas/ids/", this::schemaById);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Registers a schema directly, as another producer would have. */
    int put(String schema) {
        return ids.computeIfAbsent(schema, s -> {
            int id = ids.size() + 1;
            schemas.put(id, s);
            return id;
        });
    }

    private void register(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath(); // /subjects/{subject}/versions
        if (!"POST".equals(exchange.getRequestMethod()) || !path.endsWith("/versions")) {
            answer(exchange, 405, "{\"error_code\":405,\"message\":\"method not allowed\"}");
            return;
        }
        JsonNode body = JSON.readTree(exchange.getRequestBody());
        subjects.add(path.substring("/subjects/".length(), path.length() - "/versions".length()));
        answer(exchange, 200, "{\"id\":" + put(body.path("schema").asText()) + "}");
    }

    private void schemaById(HttpExchange exchange) throws IOException {
        int id = Integer.parseInt(exchange.getRequestURI().getPath().substring("/schemas/ids/".length()));
        String schema = schemas.get(id);
        if (schema == null) {
            answer(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        } else {
            answer(exchange, 200, JSON.createObjectNode().put("schema", schema).toString());
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
