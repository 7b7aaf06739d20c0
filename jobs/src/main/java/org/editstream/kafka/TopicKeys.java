package org.editstream.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The keys of a topic's committed records, from its start to its end offsets as of now (read_committed): for
 * the samples topic, every sample id.
 */
public final class TopicKeys {
    private TopicKeys() {
    }

    /** Offsets between the topic's start and end: an upper bound of its records (transaction markers count too). */
    public static long offsetSpan(String bootstrapServers, String topic, Map<String, String> extra) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers, extra)) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            Map<TopicPartition, Long> start = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            return partitions.stream().mapToLong(tp -> end.get(tp) - start.get(tp)).sum();
        }
    }

    public static Set<String> read(String bootstrapServers, String topic, Map<String, String> extra) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrapServers, extra)) {
            List<TopicPartition> partitions = partitions(consumer, topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            Set<String> keys = new HashSet<>();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    if (record.key() != null) {
                        keys.add(new String(record.key(), StandardCharsets.UTF_8));
                    }
                }
            }
            return keys;
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers, Map<String, String> extra) {
        Properties p = new Properties();
        p.putAll(extra);
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("isolation.level", "read_committed");
        p.setProperty("enable.auto.commit", "false");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static List<TopicPartition> partitions(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
    }
}
