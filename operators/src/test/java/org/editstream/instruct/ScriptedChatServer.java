package org.editstream.instruct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A local HTTP server that plays an OpenAI chat-completions server for tests, including its failure modes:
 * a script maps each request to a behaviour (a reply, an HTTP status with headers, a hang, a dropped
 * connection), optionally after a delay.
 */
public final class ScriptedChatServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received request: its JSON body and the content of its last message. */
    public record Request(JsonNode body, String lastUserContent, String authorization, int number) {
        public List<JsonNode> messages() {
            return JSON.convertValue(body.path("messages"), JSON.getTypeFactory().constructCollectionType(List.class, JsonNode.class));
        }
    }

    /** What the server does with a request. */
    public sealed interface Behaviour permits Reply, Status, Hang, Drop {
    }

    /** A 200 with {@code content} as the assistant's message, after {@code delayMillis}. */
    public record Reply(String content, long delayMillis) implements Behaviour {
    }

    /** Any status with a body and headers (e.g. 429 with Retry-After). */
    public record Status(int code, String body, Map<String, String> headers) implements Behaviour {
    }

    /** Never answers (until the server stops). */
    public record Hang() implements Behaviour {
    }

    /** Closes the connection without a response. */
    public record Drop() implements Behaviour {
    }

    public static Behaviour reply(String content) {
        return new Reply(content, 0);
    }

    public static Behaviour status(int code, Map<String, String> headers) {
        return new Status(code, "{\"error\":{\"message\":\"scripted " + code + "\"}}", headers);
    }

    private final HttpServer server;
    private final ExecutorService handlers = Executors.newFixedThreadPool(8);
    private final ScheduledExecutorService later = Executors.newScheduledThreadPool(4);
    private final Function<Request, Behaviour> script;
    private final List<Request> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger count = new AtomicInteger();

    public ScriptedChatServer(Function<Request, Behaviour> script) throws IOException {
        this.script = script;
        System.setProperty("sun.net.httpserver.nodelay", "true"); // no delayed-ACK stalls in replies
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.createContext("/v1/chat/completions", this::handle);
        server.setExecutor(handlers);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Request> received() {
        return List.copyOf(received);
    }

    private void handle(HttpExchange exchange) throws IOException {
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        JsonNode messages = body.path("messages");
        String last = messages.path(messages.size() - 1).path("content").asText();
        Request request = new Request(body, last, exchange.getRequestHeaders().getFirst("Authorization"),
                count.incrementAndGet());
        received.add(request);
        Behaviour behaviour = script.apply(request);
        if (behaviour instanceof Reply r && r.delayMillis() > 0) {
            later.schedule(() -> send(exchange, 200, completion(r.content()), Map.of()), r.delayMillis(), TimeUnit.MILLISECONDS);
        } else if (behaviour instanceof Reply r) {
            send(exchange, 200, completion(r.content()), Map.of());
        } else if (behaviour instanceof Status s) {
            send(exchange, s.code(), s.body(), s.headers());
        } else if (behaviour instanceof Drop) {
            exchange.close();
        }
        // Hang: leave the exchange open, the client's timeout must fire
    }

    private static String completion(String content) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-test").put("object", "chat.completion").put("model", "scripted");
        ObjectNode choice = root.putArray("choices").addObject();
        choice.put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", content);
        root.putObject("usage").put("prompt_tokens", 100).put("completion_tokens", 20).put("total_tokens", 120);
        return root.toString();
    }

    private static void send(HttpExchange exchange, int code, String body, Map<String, String> headers) {
        try {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            headers.forEach((k, v) -> exchange.getResponseHeaders().add(k, v));
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(code, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException clientGone) {
            exchange.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        later.shutdownNow();
        handlers.shutdownNow();
    }
}
