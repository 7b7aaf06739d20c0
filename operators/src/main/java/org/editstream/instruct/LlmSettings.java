package org.editstream.instruct;

import java.io.IOException;
import java.io.Serializable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * How to reach an OpenAI-compatible chat-completions server (vLLM, llama.cpp server, Ollama, TGI, hosted
 * endpoints) and how hard to try. The API key itself is never part of the settings (they travel in the job
 * graph and show in logs): only where to read it, resolved on the TaskManager.
 *
 * @param baseUrl           server root; requests go to {@code {baseUrl}/v1/chat/completions} (a trailing
 *                          {@code /v1} is accepted too)
 * @param model             model name sent with each request and recorded in the sample's lineage
 * @param apiKeyEnv         environment variable holding the API key, or null
 * @param apiKeyFile        file holding the API key (first line), or null; read when the variable is unset
 * @param jsonMode          whether to ask for {@code response_format: json_object}
 * @param timeout           per HTTP attempt, until the whole reply is read
 * @param maxAttempts       attempts per request (1 = no retry); retried on 429, 5xx, timeouts, connection errors
 * @param backoffBase       first retry's backoff ceiling; doubles each attempt, full jitter
 * @param backoffMax        ceiling of any one wait, including a server's {@code Retry-After}
 * @param concurrency       requests in flight per TaskManager (JVM) for this server
 * @param breakerFailures   consecutive failed requests (after their retries) that open the circuit
 * @param breakerCooldown   how long an open circuit rejects at once before it lets one probe through
 */
public record LlmSettings(
        String baseUrl,
        String model,
        String apiKeyEnv,
        String apiKeyFile,
        double temperature,
        int maxTokens,
        JsonMode jsonMode,
        Duration timeout,
        int maxAttempts,
        Duration backoffBase,
        Duration backoffMax,
        int concurrency,
        int breakerFailures,
        Duration breakerCooldown) implements Serializable {

    /** Whether requests carry {@code response_format}; AUTO drops it once a server refuses it with HTTP 400. */
    public enum JsonMode { AUTO, ON, OFF }

    public static final String DEFAULT_API_KEY_ENV = "EDITSTREAM_LLM_API_KEY";

    public LlmSettings {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("an LLM base URL is required, e.g. http://localhost:8000");
        }
        URI uri = URI.create(baseUrl.strip());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null) {
            throw new IllegalArgumentException("the LLM base URL must be http(s)://host[:port][/path], got " + baseUrl);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("an LLM model name is required");
        }
        if (temperature < 0 || temperature > 2) {
            throw new IllegalArgumentException("LLM temperature must be in [0, 2], got " + temperature);
        }
        positive("max tokens", maxTokens);
        positive("attempts", maxAttempts);
        positive("concurrency", concurrency);
        positive("breaker failures", breakerFailures);
        for (Duration d : new Duration[] {timeout, backoffBase, backoffMax, breakerCooldown}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("LLM durations must be positive, got " + d);
            }
        }
    }

    /** Defaults for a server: 60 s per attempt, 4 attempts, 32 in flight per TaskManager. */
    public static LlmSettings of(String baseUrl, String model) {
        return new LlmSettings(baseUrl, model, DEFAULT_API_KEY_ENV, null, 0.7, 512, JsonMode.AUTO,
                Duration.ofSeconds(60), 4, Duration.ofMillis(500), Duration.ofSeconds(30), 32, 20, Duration.ofSeconds(30));
    }

    public LlmSettings withTimeout(Duration value) {
        return new LlmSettings(baseUrl, model, apiKeyEnv, apiKeyFile, temperature, maxTokens, jsonMode, value,
                maxAttempts, backoffBase, backoffMax, concurrency, breakerFailures, breakerCooldown);
    }

    public LlmSettings withRetries(int attempts, Duration base, Duration max) {
        return new LlmSettings(baseUrl, model, apiKeyEnv, apiKeyFile, temperature, maxTokens, jsonMode, timeout,
                attempts, base, max, concurrency, breakerFailures, breakerCooldown);
    }

    public LlmSettings withConcurrency(int value) {
        return new LlmSettings(baseUrl, model, apiKeyEnv, apiKeyFile, temperature, maxTokens, jsonMode, timeout,
                maxAttempts, backoffBase, backoffMax, value, breakerFailures, breakerCooldown);
    }

    public LlmSettings withBreaker(int failures, Duration cooldown) {
        return new LlmSettings(baseUrl, model, apiKeyEnv, apiKeyFile, temperature, maxTokens, jsonMode, timeout,
                maxAttempts, backoffBase, backoffMax, concurrency, failures, cooldown);
    }

    public LlmSettings withApiKey(String env, String file) {
        return new LlmSettings(baseUrl, model, env, file, temperature, maxTokens, jsonMode, timeout,
                maxAttempts, backoffBase, backoffMax, concurrency, breakerFailures, breakerCooldown);
    }

    public LlmSettings withGeneration(double temp, int tokens, JsonMode mode) {
        return new LlmSettings(baseUrl, model, apiKeyEnv, apiKeyFile, temp, tokens, mode, timeout,
                maxAttempts, backoffBase, backoffMax, concurrency, breakerFailures, breakerCooldown);
    }

    /** The chat-completions endpoint. */
    public URI endpoint() {
        String base = baseUrl.strip().replaceAll("/+$", "");
        if (base.endsWith("/v1")) {
            base = base.substring(0, base.length() - 3);
        }
        return URI.create(base + "/v1/chat/completions");
    }

    /**
     * The API key from the environment variable, else the file; null when neither is set (local servers
     * need none). A named file that cannot be read is an error, not a silent anonymous request.
     */
    public String resolveApiKey() {
        if (apiKeyEnv != null) {
            String value = System.getenv(apiKeyEnv);
            if (value != null && !value.isBlank()) {
                return value.strip();
            }
        }
        if (apiKeyFile != null) {
            try {
                return Files.readString(Path.of(apiKeyFile), StandardCharsets.UTF_8).lines().findFirst()
                        .map(String::strip).filter(s -> !s.isEmpty())
                        .orElseThrow(() -> new IllegalStateException("LLM API key file " + apiKeyFile + " is empty"));
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the LLM API key file " + apiKeyFile + ": " + e.getMessage(), e);
            }
        }
        return null;
    }

    private static void positive(String what, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("LLM " + what + " must be positive, got " + value);
        }
    }
}
