package org.editstream.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.editstream.instruct.ChatClient;
import org.editstream.instruct.ChatMessage;
import org.editstream.instruct.ChatReply;
import org.editstream.instruct.LlmSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

@Command(name = "llm", mixinStandardHelpOptions = true,
        description = {"Chat requests/s of the production LLM client against a local server that answers every request",
                "after a fixed delay d, at concurrency limits c; the ideal is c/d. Nothing is asserted."})
class BenchLlmCommand implements Callable<Integer> {
    private static final byte[] REPLY = ("{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + "\"{\\\"instruction\\\":\\\"Make it snowy\\\",\\\"output_caption\\\":\\\"A snowy street\\\"}\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":900,\"completion_tokens\":30}}")
            .getBytes(StandardCharsets.UTF_8);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--delay", defaultValue = "PT0.2S", description = "Server delay d per request, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration delay;

    @Option(names = "--concurrency", split = ",", defaultValue = "8,64,256", description = "Concurrency limits c (default: ${DEFAULT-VALUE}).")
    List<Integer> concurrency;

    @Option(names = "--rounds", defaultValue = "20", description = "Requests per run = rounds x c (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        // the JDK server leaves Nagle on by default, which adds a delayed-ACK stall (~40 ms) to every reply: a
        // real chat server would not, so neither does this one (read when the server class loads)
        System.setProperty("sun.net.httpserver.nodelay", "true");
        ScheduledExecutorService later = Executors.newScheduledThreadPool(2);
        ExecutorService handlers = Executors.newFixedThreadPool(4);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
        server.createContext("/v1/chat/completions", exchange -> {
            exchange.getRequestBody().readAllBytes();
            later.schedule(() -> answer(exchange), delay.toMillis(), TimeUnit.MILLISECONDS);
        });
        server.setExecutor(handlers);
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            // a realistic prompt size: system, introduction and 8 example pairs
            List<ChatMessage> prompt = new ArrayList<>();
            prompt.add(ChatMessage.system("x".repeat(900)));
            for (int i = 0; i < 17; i++) {
                prompt.add(i % 2 == 0 ? ChatMessage.user("y".repeat(200)) : ChatMessage.assistant("z".repeat(150)));
            }
            out.printf("server delay d = %d ms; %d x c requests per run%n", delay.toMillis(), rounds);
            out.printf("%6s %10s %12s %12s %8s %s%n", "c", "requests", "ideal req/s", "achieved", "ratio", "p50 ms (incl. wait for a permit)");
            for (int c : concurrency) {
                LlmSettings settings = LlmSettings.of(url, "bench").withApiKey(null, null)
                        .withConcurrency(c).withTimeout(Duration.ofSeconds(60)).withBreaker(1_000_000, Duration.ofSeconds(1));
                ChatClient client = new ChatClient(settings);
                run(client, prompt, c); // warm-up: connections, JIT
                int n = rounds * c;
                long start = System.nanoTime();
                List<Long> latencies = run(client, prompt, n);
                double seconds = (System.nanoTime() - start) / 1e9;
                double ideal = c / (delay.toMillis() / 1000.0);
                double achieved = n / seconds;
                latencies.sort(null);
                out.printf("%6d %10d %12.1f %12.1f %7.1f%% %10.1f%n", c, n, ideal, achieved, 100 * achieved / ideal,
                        latencies.get(latencies.size() / 2) / 1e6);
                out.flush();
            }
            return 0;
        } finally {
            server.stop(0);
            later.shutdownNow();
            handlers.shutdownNow();
        }
    }

    private static List<Long> run(ChatClient client, List<ChatMessage> prompt, int n) {
        List<CompletableFuture<ChatReply>> all = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            all.add(client.complete(prompt, i));
        }
        List<Long> latencies = new ArrayList<>(n);
        for (CompletableFuture<ChatReply> f : all) {
            latencies.add(f.join().latencyNanos());
        }
        return latencies;
    }

    private static void answer(HttpExchange exchange) {
        try {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, REPLY.length);
            try (OutputStream body = exchange.getResponseBody()) {
                body.write(REPLY);
            }
        } catch (IOException gone) {
            exchange.close();
        }
    }
}
