package org.editstream.flink;

/**
 * A raw Kafka record as read from the captions topic, before decoding, so that bytes which do not decode
 * become a rejection naming where they were instead of failing the source.
 */
public class KafkaRecord {
    public String topic;
    public int partition;
    public long offset;
    public byte[] key;
    public byte[] value;

    public KafkaRecord() {
    }

    public KafkaRecord(String topic, int partition, long offset, byte[] key, byte[] value) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.key = key;
        this.value = value;
    }

    /** Where the record was, for rejections of records whose id cannot be read. */
    public String position() {
        return topic + "-" + partition + "@" + offset;
    }
}
