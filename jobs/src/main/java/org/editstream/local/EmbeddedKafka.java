package org.editstream.local;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;

/**
 * A real Kafka broker in this JVM: one combined broker + controller in KRaft mode, configured so that
 * transactions (EXACTLY_ONCE sinks) work with a single replica and records can carry inline images.
 */
public final class EmbeddedKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;

    private EmbeddedKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    /**
     * @param maxMessageBytes largest record the broker accepts
     * @param dataDirectory   where the log lives (deleted on close), or null for a temporary folder
     */
    public static EmbeddedKafka start(int maxMessageBytes, Path dataDirectory) throws Exception {
        TestKitNodes.Builder nodes = new TestKitNodes.Builder()
                .setCombined(true)
                .setNumBrokerNodes(1)
                .setNumControllerNodes(1);
        if (dataDirectory != null) {
            nodes.setBaseDirectory(dataDirectory);
        }
        KafkaClusterTestKit cluster = new KafkaClusterTestKit.Builder(nodes.build())
                // a single broker: the transaction and offsets logs cannot have 3 replicas
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "4")
                .setConfigProp("transaction.state.log.num.partitions", "4")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("message.max.bytes", Integer.toString(maxMessageBytes))
                .setConfigProp("replica.fetch.max.bytes", Integer.toString(maxMessageBytes))
                .setConfigProp("auto.create.topics.enable", "false")
                .build();
        PrintStream stdout = System.out;
        try {
            // the formatter prints its bootstrap metadata to standard output; keep the terminal for progress
            System.setOut(new PrintStream(OutputStream.nullOutputStream()));
            cluster.format();
            System.setOut(stdout);
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        } finally {
            System.setOut(stdout);
        }
        return new EmbeddedKafka(cluster);
    }

    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
