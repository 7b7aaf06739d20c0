package org.editstream.cli;

import org.editstream.avro.SchemaRegistryClient;
import org.editstream.job.KafkaTopics;
import org.editstream.kafka.CaptionProducer;
import org.editstream.produce.CaptionFiles;
import org.editstream.schema.CaptionEvent;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "produce", mixinStandardHelpOptions = true,
        description = "Sends captions from a JSONL or CSV file (id, caption, image, task, seed) or a folder of images to a topic.")
public class ProduceCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "A .jsonl or .csv file, or a folder of images (captions from NAME.txt beside each image, or the file name).")
    Path source;

    @Option(names = "--bootstrap-servers", required = true, description = "Kafka bootstrap servers, host:port[,host:port].")
    String bootstrapServers;

    @Option(names = "--topic", defaultValue = "captions", description = "Topic to send to (default: ${DEFAULT-VALUE}).")
    String topic;

    @Option(names = "--image-uris", description = "Send images as file:// URIs for the job to read, instead of inline bytes.")
    boolean imageUris;

    @Option(names = "--max-record-bytes", defaultValue = "8388608", description = "Largest record to send (default: ${DEFAULT-VALUE}).")
    int maxRecordBytes;

    @Option(names = "--schema-registry", description = "Confluent schema registry URL: send in its wire format, "
            + "the schema registered under <topic>-value (default: plain Avro).")
    String schemaRegistry;

    @Option(names = "--kafka-property", description = "Extra Kafka client property (repeatable).")
    Map<String, String> kafkaProperties = new LinkedHashMap<>();

    @Override
    public Integer call() throws Exception {
        List<CaptionEvent> events = CaptionFiles.read(source,
                imageUris ? CaptionFiles.ImageMode.URI : CaptionFiles.ImageMode.INLINE);
        try (CaptionProducer producer = new CaptionProducer(bootstrapServers, topic,
                maxRecordBytes + KafkaTopics.FRAMING_BYTES, kafkaProperties,
                schemaRegistry == null ? null : new SchemaRegistryClient(schemaRegistry, Duration.ofSeconds(10)))) {
            events.forEach(producer::send);
            producer.flush();
        }
        spec.commandLine().getOut().println("Sent " + events.size() + " captions to " + topic + " at " + bootstrapServers);
        return 0;
    }
}
