package org.editstream.local;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kafka broker in this JVM: one combined broker + controller in KRaft mode, listening on the loopback address
 * unless told otherwise, configured so that transactions (EXACTLY_ONCE sinks) work with a single replica and records
 * can carry inline images.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private static final String LOOPBACK = "127.0.0.1";

    private final KafkaRaftServer server;
    private final String bootstrapServers;
    private final Path temporaryDirectory;

    private EmbeddedKafka(KafkaRaftServer server, String bootstrapServers, Path temporaryDirectory) {
        this.server = server;
        this.bootstrapServers = bootstrapServers;
        this.temporaryDirectory = temporaryDirectory;
    }

    /**
     * @param maxMessageBytes largest record the broker accepts
     * @param dataDirectory   where the log lives (kept), or null for a temporary folder (deleted on close)
     */
    public static EmbeddedKafka start(int maxMessageBytes, Path dataDirectory) throws Exception {
        return start(maxMessageBytes, dataDirectory, LOOPBACK);
    }

    /**
     * @param bind the address the broker listens on (its controller stays on the loopback address); a wildcard
     *             (0.0.0.0) is advertised as this machine's host name
     */
    public static EmbeddedKafka start(int maxMessageBytes, Path dataDirectory, String bind) throws Exception {
        Path temporary = dataDirectory == null ? Files.createTempDirectory("editstream-kafka") : null;
        Path logs = (dataDirectory == null ? temporary : dataDirectory).resolve("kafka-logs");
        Files.createDirectories(logs);
        int brokerPort;
        int controllerPort;
        if (InetAddress.getByName(bind).isLoopbackAddress()) {
            int[] ports = Ports.free(LOOPBACK, 2); // two listeners on one address: never the same port
            brokerPort = ports[0];
            controllerPort = ports[1];
        } else {
            brokerPort = Ports.free(bind);
            int drawn;
            do {
                drawn = Ports.free(LOOPBACK); // a wildcard broker port is bound on the loopback address too
            } while (drawn == brokerPort);
            controllerPort = drawn;
        }
        String advertised = InetAddress.getByName(bind).isAnyLocalAddress() ? InetAddress.getLocalHost().getHostName() : bind;
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@" + LOOPBACK + ":" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://" + bind + ":" + brokerPort + ",CONTROLLER://" + LOOPBACK + ":" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://" + advertised + ":" + brokerPort);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", logs.toString());
        // a single broker: the transaction and offsets logs cannot have 3 replicas
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.num.partitions", "4");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        p.setProperty("message.max.bytes", Integer.toString(maxMessageBytes));
        p.setProperty("replica.fetch.max.bytes", Integer.toString(maxMessageBytes));
        p.setProperty("auto.create.topics.enable", "false");
        KafkaConfig config = KafkaConfig.fromProps(p, false);

        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        new Formatter().setPrintStream(quiet).setNodeId(1).setClusterId(Uuid.randomUuid().toString())
                .addDirectory(logs.toString()).setMetadataLogDirectory(logs.toString())
                .setControllerListenerName("CONTROLLER").setReleaseVersion(MetadataVersion.latestProduction())
                .setIgnoreFormatted(true).run();
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        String bootstrap = advertised + ":" + brokerPort;
        try {
            server.startup();
            awaitReady(bootstrap);
        } catch (Exception e) {
            server.shutdown();
            server.awaitShutdown();
            throw e;
        }
        return new EmbeddedKafka(server, bootstrap, temporary);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() throws Exception {
        server.shutdown();
        server.awaitShutdown();
        if (temporaryDirectory != null) {
            try (Stream<Path> files = Files.walk(temporaryDirectory)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /** The broker answers metadata requests once it has registered with its controller. */
    private static void awaitReady(String bootstrap) throws Exception {
        Properties admin = new Properties();
        admin.setProperty("bootstrap.servers", bootstrap);
        try (Admin client = Admin.create(admin)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    if (!client.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the embedded Kafka broker at " + bootstrap + " did not become ready", notYet);
                    }
                }
                Thread.sleep(100);
            }
        }
    }
}
