package org.editstream.job;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

/** The job's topics and client settings, sized for samples that carry their images inline. */
public final class KafkaTopics {
    /** Headroom over the largest sample for record and batch framing. */
    public static final int FRAMING_BYTES = 1024 * 1024;

    private KafkaTopics() {
    }

    public static Properties producerProperties(JobConfig config) {
        Properties p = new Properties();
        p.putAll(config.kafkaProperties());
        p.setProperty("max.request.size", Integer.toString(config.maxRecordBytes() + FRAMING_BYTES));
        p.setProperty("transaction.timeout.ms", Long.toString(config.transactionTimeout().toMillis()));
        p.setProperty("compression.type", "none");
        return p;
    }

    /** Creates the captions, samples and rejections topics where they are missing (existing ones are kept). */
    public static void ensure(JobConfig config, int partitions, short replication) throws InterruptedException {
        Properties admin = new Properties();
        admin.putAll(config.kafkaProperties());
        admin.setProperty("bootstrap.servers", config.bootstrapServers());
        String maxMessage = Integer.toString(config.maxRecordBytes() + FRAMING_BYTES);
        List<NewTopic> topics = new ArrayList<>();
        for (String name : List.of(config.captionsTopic(), config.samplesTopic(), config.rejectionsTopic())) {
            topics.add(new NewTopic(name, partitions, replication).configs(Map.of("max.message.bytes", maxMessage)));
        }
        try (Admin client = Admin.create(admin)) {
            for (NewTopic topic : topics) {
                try {
                    client.createTopics(List.of(topic)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + topic.name() + " on "
                                + config.bootstrapServers() + ": " + e.getCause(), e.getCause());
                    }
                }
            }
        }
    }
}
