package org.editstream.instruct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.editstream.schema.Reason;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A non-blocking client of the OpenAI chat-completions protocol ({@code POST /v1/chat/completions}).
 * <ul>
 *   <li>at most {@link LlmSettings#concurrency()} requests in flight (shared by every caller of one client);</li>
 *   <li>a timeout per attempt; retries on 429, 5xx, timeouts and connection errors with exponential backoff
 *       and full jitter, honouring {@code Retry-After} (capped at {@link LlmSettings#backoffMax()}); other
 *       4xx fail at once;</li>
 *   <li>a circuit breaker, so a dead server turns into immediate {@link Reason#LLM_UNAVAILABLE} failures
 *       instead of every request waiting out its timeouts;</li>
 *   <li>{@code response_format: json_object} in {@link LlmSettings.JsonMode#AUTO} mode until the server
 *       refuses it with HTTP 400, then without.</li>
 * </ul>
 * Failures complete the future with an {@link LlmFailure} carrying the reason code. The API key goes only
 * into the Authorization header, never into messages or logs.
 */
public final class ChatClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<LlmSettings, ChatClient> SHARED = new ConcurrentHashMap<>();
    /** Characters of an error body kept in a rejection's detail. */
    private static final int BODY_SNIPPET = 300;

    private final LlmSettings settings;
    private final HttpClient http;
    private final String apiKey;
    private final AsyncLimiter limiter;
    private final CircuitBreaker breaker;
    private final Delays delays;
    private volatile boolean sendJsonFormat;

    /** Where a retry waits: a delayed executor in production; tests record the waits instead of sleeping. */
    @FunctionalInterface
    interface Delays {
        Executor after(long millis);
    }

    public ChatClient(LlmSettings settings) {
        this(settings, millis -> CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS));
    }

    ChatClient(LlmSettings settings, Delays delays) {
        this.settings = settings;
        this.delays = delays;
        this.apiKey = settings.resolveApiKey();
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.limiter = new AsyncLimiter(settings.concurrency());
        this.breaker = new CircuitBreaker(settings.breakerFailures(), settings.breakerCooldown(), System::nanoTime);
        this.sendJsonFormat = settings.jsonMode() != LlmSettings.JsonMode.OFF;
    }

    /** The client of these settings in this JVM: its concurrency limit and breaker are per TaskManager. */
    public static ChatClient shared(LlmSettings settings) {
        return SHARED.computeIfAbsent(settings, ChatClient::new);
    }

    public LlmSettings settings() {
        return settings;
    }

    /**
     * Sends one chat completion.
     *
     * @param seed sent as the request's {@code seed} (servers that support it sample reproducibly)
     */
    public CompletableFuture<ChatReply> complete(List<ChatMessage> messages, long seed) {
        if (!breaker.allow()) {
            return CompletableFuture.failedFuture(new LlmFailure(Reason.LLM_UNAVAILABLE, "circuit open after "
                    + breaker.consecutiveFailures() + " consecutive failed requests to " + settings.endpoint()
                    + "; next probe in " + breaker.secondsUntilProbe() + " s"));
        }
        long start = System.nanoTime();
        return limiter.acquire()
                .thenCompose(permit -> attempt(messages, seed, 1, start))
                .whenComplete((reply, error) -> {
                    limiter.release();
                    if (error == null) {
                        breaker.success();
                    } else if (countsAgainstServer(unwrap(error))) {
                        breaker.failure();
                    } else {
                        // a request the server answered, if unhappily: the server is alive
                        breaker.success();
                    }
                });
    }

    /** Requests in flight and waiting for a permit, for gauges. */
    public int inFlight() {
        return limiter.inFlight();
    }

    public int queued() {
        return limiter.queued();
    }

    public String circuitState() {
        return breaker.state().name();
    }

    private CompletableFuture<ChatReply> attempt(List<ChatMessage> messages, long seed, int attempt, long start) {
        HttpRequest request = request(messages, seed);
        boolean jsonFormatSent = sendJsonFormat;
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .orTimeout(settings.timeout().toMillis(), TimeUnit.MILLISECONDS)
                .handle((response, error) -> {
                    if (error != null) {
                        return retryOrFail(messages, seed, attempt, start, transportFailure(unwrap(error)), null);
                    }
                    int status = response.statusCode();
                    if (status == 200) {
                        return CompletableFuture.completedFuture(parse(response.body(), attempt, start));
                    }
                    LlmFailure failure = new LlmFailure(Reason.LLM_HTTP_ERROR, "HTTP " + status + " from "
                            + settings.endpoint() + ": " + snippet(response.body()));
                    if (status == 400 && jsonFormatSent && settings.jsonMode() == LlmSettings.JsonMode.AUTO
                            && response.body() != null && response.body().contains("response_format")) {
                        sendJsonFormat = false;
                        return attempt(messages, seed, attempt, start);
                    }
                    if (status == 429 || status >= 500) {
                        return retryOrFail(messages, seed, attempt, start, failure, retryAfter(response).orElse(null));
                    }
                    return CompletableFuture.<ChatReply>failedFuture(failure);
                })
                .thenCompose(f -> f);
    }

    private CompletableFuture<ChatReply> retryOrFail(List<ChatMessage> messages, long seed, int attempt, long start,
                                                     LlmFailure failure, Duration serverWait) {
        if (attempt >= settings.maxAttempts()) {
            String detail = failure.detail() + (attempt > 1 ? " (after " + attempt + " attempts)" : "");
            return CompletableFuture.failedFuture(new LlmFailure(failure.reason(), detail, failure.getCause()));
        }
        long waitMillis = serverWait != null
                ? Math.min(serverWait.toMillis(), settings.backoffMax().toMillis())
                : backoffMillis(attempt);
        return CompletableFuture.supplyAsync(() -> null, delays.after(waitMillis))
                .thenCompose(ignored -> attempt(messages, seed, attempt + 1, start));
    }

    /** Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
    long backoffMillis(int attempt) {
        long ceiling = Math.min(settings.backoffMax().toMillis(),
                settings.backoffBase().toMillis() << Math.min(attempt - 1, 20));
        return ThreadLocalRandom.current().nextLong(ceiling + 1);
    }

    private HttpRequest request(List<ChatMessage> messages, long seed) {
        ObjectNode body = JSON.createObjectNode();
        body.put("model", settings.model());
        ArrayNode list = body.putArray("messages");
        for (ChatMessage m : messages) {
            list.addObject().put("role", m.role()).put("content", m.content());
        }
        body.put("temperature", settings.temperature());
        body.put("max_tokens", settings.maxTokens());
        body.put("seed", seed);
        if (sendJsonFormat) {
            body.putObject("response_format").put("type", "json_object");
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(settings.endpoint())
                .timeout(settings.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        if (apiKey != null) {
            builder.header("Authorization", "Bearer " + apiKey);
        }
        return builder.build();
    }

    private ChatReply parse(String body, int attempts, long start) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new CompletionException(new LlmFailure(Reason.LLM_HTTP_ERROR,
                    "the server's reply is not a chat-completions JSON document: " + snippet(body)));
        }
        JsonNode content = root.path("choices").path(0).path("message").path("content");
        if (!content.isTextual()) {
            throw new CompletionException(new LlmFailure(Reason.LLM_HTTP_ERROR,
                    "the server's reply has no choices[0].message.content: " + snippet(body)));
        }
        JsonNode usage = root.path("usage");
        return new ChatReply(content.asText(), usage.path("prompt_tokens").asInt(0),
                usage.path("completion_tokens").asInt(0), System.nanoTime() - start, attempts);
    }

    private LlmFailure transportFailure(Throwable error) {
        if (error instanceof HttpConnectTimeoutException) {
            return new LlmFailure(Reason.LLM_HTTP_ERROR, "connecting to " + settings.endpoint() + " timed out", error);
        }
        if (error instanceof HttpTimeoutException || error instanceof java.util.concurrent.TimeoutException) {
            return new LlmFailure(Reason.LLM_TIMEOUT, "no reply from " + settings.endpoint() + " within "
                    + settings.timeout().toMillis() + " ms", error);
        }
        if (error instanceof ConnectException) {
            return new LlmFailure(Reason.LLM_HTTP_ERROR, "cannot connect to " + settings.endpoint() + ": " + error, error);
        }
        if (error instanceof IOException) {
            return new LlmFailure(Reason.LLM_HTTP_ERROR, "connection to " + settings.endpoint() + " failed: " + error, error);
        }
        return new LlmFailure(Reason.LLM_HTTP_ERROR, "request to " + settings.endpoint() + " failed: " + error, error);
    }

    /** Failures that say the server is unwell (not that our request was bad). */
    private static boolean countsAgainstServer(Throwable error) {
        if (!(error instanceof LlmFailure failure)) {
            return true;
        }
        String detail = failure.detail();
        return failure.reason() == Reason.LLM_TIMEOUT
                || failure.reason() == Reason.LLM_HTTP_ERROR && !detail.startsWith("HTTP 4")
                || detail.startsWith("HTTP 429");
    }

    static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(ChatClient::parseRetryAfter);
    }

    /** {@code Retry-After} as delta-seconds or an HTTP date. */
    static Optional<Duration> parseRetryAfter(String value) {
        String v = value.strip();
        try {
            return Optional.of(Duration.ofMillis(Math.max(0, (long) (Double.parseDouble(v) * 1000))));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
                return Optional.of(Duration.between(ZonedDateTime.now(at.getZone()), at)).filter(d -> !d.isNegative());
            } catch (DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable e = error;
        while (e instanceof CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    private static String snippet(String body) {
        if (body == null) {
            return "";
        }
        String flat = body.replaceAll("\\s+", " ").strip();
        return flat.length() <= BODY_SNIPPET ? flat : flat.substring(0, BODY_SNIPPET) + "...";
    }
}
