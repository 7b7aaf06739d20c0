package org.editstream.instruct;

import org.editstream.schema.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.editstream.instruct.ScriptedChatServer.reply;
import static org.editstream.instruct.ScriptedChatServer.status;

/** The production chat client against a local server that plays a chat-completions server and its failures. */
class ChatClientTest {
    private static final List<ChatMessage> HELLO = List.of(ChatMessage.system("be brief"), ChatMessage.user("hello"));

    private static LlmSettings settings(ScriptedChatServer server) {
        return LlmSettings.of(server.baseUrl(), "test-model").withApiKey(null, null)
                .withTimeout(Duration.ofSeconds(5))
                .withRetries(3, Duration.ofMillis(10), Duration.ofSeconds(5));
    }

    /** A client whose retries record how long they would wait, and go on at once. */
    private static ChatClient recordingWaits(ScriptedChatServer server, List<Long> waits) {
        return new ChatClient(settings(server), millis -> {
            waits.add(millis);
            return Runnable::run;
        });
    }

    private static ChatReply get(CompletableFuture<ChatReply> future) throws Exception {
        return future.get(30, TimeUnit.SECONDS);
    }

    private static LlmFailure failure(CompletableFuture<ChatReply> future) {
        Throwable thrown = catchThrowable(() -> future.get(30, TimeUnit.SECONDS));
        assertThat(thrown).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(LlmFailure.class);
        return (LlmFailure) thrown.getCause();
    }

    @Test
    void sendsTheProtocolAndReadsTheReply(@TempDir Path dir) throws Exception {
        Path keyFile = Files.writeString(dir.resolve("key"), "sk-test-123\n");
        try (ScriptedChatServer server = new ScriptedChatServer(r -> reply("{\"instruction\":\"x\"}"))) {
            ChatClient client = new ChatClient(settings(server).withApiKey("EDITSTREAM_TEST_UNSET_VARIABLE", keyFile.toString()));
            ChatReply answer = get(client.complete(HELLO, 42));
            assertThat(answer.content()).isEqualTo("{\"instruction\":\"x\"}");
            assertThat(answer.promptTokens()).isEqualTo(100);
            assertThat(answer.completionTokens()).isEqualTo(20);
            assertThat(answer.attempts()).isEqualTo(1);

            ScriptedChatServer.Request sent = server.received().get(0);
            assertThat(sent.authorization()).isEqualTo("Bearer sk-test-123");
            assertThat(sent.body().path("model").asText()).isEqualTo("test-model");
            assertThat(sent.body().path("seed").asLong()).isEqualTo(42);
            assertThat(sent.body().path("response_format").path("type").asText()).isEqualTo("json_object");
            assertThat(sent.messages()).extracting(m -> m.path("role").asText()).containsExactly("system", "user");
            assertThat(sent.lastUserContent()).isEqualTo("hello");
        }
    }

    @Test
    void acceptsABaseUrlEndingInV1() {
        assertThat(LlmSettings.of("http://h:8000/v1/", "m").endpoint().toString()).isEqualTo("http://h:8000/v1/chat/completions");
        assertThat(LlmSettings.of("http://h:8000", "m").endpoint().toString()).isEqualTo("http://h:8000/v1/chat/completions");
        assertThat(catchThrowable(() -> LlmSettings.of("ftp://h", "m"))).hasMessageContaining("http(s)");
    }

    @Test
    void retriesServerErrorsThenSucceeds() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.number() <= 2 ? status(503, Map.of()) : reply("ok"))) {
            ChatReply answer = get(new ChatClient(settings(server)).complete(HELLO, 1));
            assertThat(answer.content()).isEqualTo("ok");
            assertThat(answer.attempts()).isEqualTo(3);
            assertThat(server.received()).hasSize(3);
        }
    }

    @Test
    void honoursRetryAfterOn429() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.number() == 1
                ? status(429, Map.of("Retry-After", "3")) : reply("ok"))) {
            List<Long> waits = new ArrayList<>();
            ChatClient client = recordingWaits(server, waits);
            ChatReply answer = get(client.complete(HELLO, 1));
            assertThat(answer.attempts()).isEqualTo(2);
            // the backoff alone would be at most 10 ms: the retry waited the server's three seconds
            assertThat(waits).containsExactly(3000L);
        }
    }

    @Test
    void capsRetryAfterAtTheBackoffMaximum() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.number() == 1
                ? status(503, Map.of("Retry-After", "3600")) : reply("ok"))) {
            List<Long> waits = new ArrayList<>();
            ChatClient client = recordingWaits(server, waits);
            assertThat(get(client.complete(HELLO, 1)).content()).isEqualTo("ok");
            assertThat(waits).containsExactly(5000L);
        }
    }

    @Test
    void givesUpAfterTheLastAttemptWithTheStatus() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> status(500, Map.of()))) {
            LlmFailure f = failure(new ChatClient(settings(server)).complete(HELLO, 1));
            assertThat(f.reason()).isEqualTo(Reason.LLM_HTTP_ERROR);
            assertThat(f.detail()).contains("HTTP 500").contains("after 3 attempts");
            assertThat(server.received()).hasSize(3);
        }
    }

    @Test
    void doesNotRetryOtherClientErrors() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> status(401, Map.of()))) {
            LlmFailure f = failure(new ChatClient(settings(server)).complete(HELLO, 1));
            assertThat(f.reason()).isEqualTo(Reason.LLM_HTTP_ERROR);
            assertThat(f.detail()).startsWith("HTTP 401");
            assertThat(server.received()).hasSize(1);
        }
    }

    @Test
    void aHangingServerTimesOutOnEveryAttempt() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> new ScriptedChatServer.Hang())) {
            LlmSettings s = settings(server).withTimeout(Duration.ofMillis(300)).withRetries(2, Duration.ofMillis(10), Duration.ofMillis(50));
            LlmFailure f = failure(new ChatClient(s).complete(HELLO, 1));
            assertThat(f.reason()).isEqualTo(Reason.LLM_TIMEOUT);
            assertThat(f.detail()).contains("within 300 ms").contains("after 2 attempts");
            assertThat(server.received()).hasSize(2);
        }
    }

    @Test
    void aDroppedConnectionIsRetried() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.number() == 1 ? new ScriptedChatServer.Drop() : reply("ok"))) {
            ChatReply answer = get(new ChatClient(settings(server)).complete(HELLO, 1));
            assertThat(answer.content()).isEqualTo("ok");
            assertThat(answer.attempts()).isEqualTo(2);
        }
    }

    @Test
    void aRefusedConnectionFailsWithItsCause() throws Exception {
        String url;
        try (ScriptedChatServer server = new ScriptedChatServer(r -> reply("never"))) {
            url = server.baseUrl();
        }
        LlmSettings s = LlmSettings.of(url, "m").withApiKey(null, null).withRetries(2, Duration.ofMillis(5), Duration.ofMillis(20));
        LlmFailure f = failure(new ChatClient(s).complete(HELLO, 1));
        assertThat(f.reason()).isEqualTo(Reason.LLM_HTTP_ERROR);
        assertThat(f.detail()).contains("connect");
    }

    @Test
    void dropsResponseFormatWhenTheServerRefusesIt() throws Exception {
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.body().has("response_format")
                ? new ScriptedChatServer.Status(400, "{\"error\":\"unknown field response_format\"}", Map.of())
                : reply("ok"))) {
            ChatClient client = new ChatClient(settings(server));
            assertThat(get(client.complete(HELLO, 1)).content()).isEqualTo("ok");
            assertThat(get(client.complete(HELLO, 2)).content()).isEqualTo("ok");
            // one refusal, then every request goes without it
            assertThat(server.received()).extracting(r -> r.body().has("response_format")).containsExactly(true, false, false);
        }
    }

    @Test
    void theBreakerTurnsADeadServerIntoFastRejectionsThenProbes() throws Exception {
        AtomicInteger healthyAfter = new AtomicInteger(Integer.MAX_VALUE);
        try (ScriptedChatServer server = new ScriptedChatServer(r -> r.number() >= healthyAfter.get() ? reply("ok") : status(502, Map.of()))) {
            LlmSettings s = settings(server).withRetries(1, Duration.ofMillis(1), Duration.ofMillis(1))
                    .withBreaker(3, Duration.ofMillis(400));
            ChatClient client = new ChatClient(s);
            for (int i = 0; i < 3; i++) {
                assertThat(failure(client.complete(HELLO, i)).reason()).isEqualTo(Reason.LLM_HTTP_ERROR);
            }
            LlmFailure fast = failure(client.complete(HELLO, 9));
            assertThat(fast.reason()).isEqualTo(Reason.LLM_UNAVAILABLE);
            assertThat(fast.detail()).contains("circuit open after 3");
            assertThat(server.received()).hasSize(3);
            assertThat(client.circuitState()).isEqualTo("OPEN");

            healthyAfter.set(4);
            Thread.sleep(500);
            assertThat(get(client.complete(HELLO, 10)).content()).isEqualTo("ok");
            assertThat(client.circuitState()).isEqualTo("CLOSED");
        }
    }

    @Test
    void keepsAtMostTheConcurrencyLimitInFlight() throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        try (ScriptedChatServer server = new ScriptedChatServer(r -> {
            peak.accumulateAndGet(now.incrementAndGet(), Math::max);
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            now.decrementAndGet();
            return reply("ok");
        })) {
            ChatClient client = new ChatClient(settings(server).withConcurrency(2));
            List<CompletableFuture<ChatReply>> all = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                all.add(client.complete(HELLO, i));
            }
            for (CompletableFuture<ChatReply> f : all) {
                assertThat(get(f).content()).isEqualTo("ok");
            }
            assertThat(peak.get()).isEqualTo(2);
            assertThat(client.inFlight()).isZero();
        }
    }

    @Test
    void parsesRetryAfterInBothForms() {
        assertThat(ChatClient.parseRetryAfter("3")).contains(Duration.ofSeconds(3));
        assertThat(ChatClient.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT")).isEmpty(); // in the past
        assertThat(ChatClient.parseRetryAfter("soon")).isEmpty();
    }
}
