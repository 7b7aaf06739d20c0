package org.editstream.flink;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.avro.AvroCodec;
import org.editstream.avro.SchemaRegistryClient;
import org.editstream.captions.CaptionValidator;
import org.editstream.rejections.Rejections;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Reason;
import org.editstream.schema.Stage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Decodes Avro caption events, plain or in the schema registry's wire format; bytes that do not decode become
 * UNDECODABLE_RECORD rejections. A registry that cannot be reached fails the operator (the job restarts and
 * retries) instead of rejecting good records.
 */
public class DecodeCaptions extends ProcessFunction<KafkaRecord, CaptionEvent> {
    private static final long serialVersionUID = 1L;

    private final String schemaRegistryUrl;
    private final String topic;
    private transient AvroCodec<CaptionEvent> codec;
    private transient StageMetrics metrics;

    /** @param schemaRegistryUrl the registry whose wire format the captions topic carries, or null for plain Avro */
    public DecodeCaptions(String schemaRegistryUrl, String topic) {
        this.schemaRegistryUrl = schemaRegistryUrl;
        this.topic = topic;
    }

    @Override
    public void open(OpenContext context) {
        SchemaRegistryClient registry = schemaRegistryUrl == null ? null
                : new SchemaRegistryClient(schemaRegistryUrl, Duration.ofSeconds(10));
        codec = AvroCodec.forTopic(CaptionEvent.class, registry, topic);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "decode");
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<CaptionEvent> out) {
        try {
            if (record.value == null) {
                throw new IllegalArgumentException("record has no value (tombstone)");
            }
            CaptionEvent event = codec.decode(record.value);
            if (!CaptionValidator.hasId(event)) {
                // rejected here, where the record's position is still known to trace it by
                metrics.rejected(Reason.MISSING_ID);
                ctx.output(Rejected.TAG, Rejections.of(keyOrPosition(record), Stage.VALIDATE, Reason.MISSING_ID,
                        "caption event at " + record.position() + " has no id", null, 0));
                return;
            }
            metrics.recordOut(null);
            out.collect(event);
        } catch (SchemaRegistryClient.RegistryUnavailableException outage) {
            throw outage;
        } catch (AvroCodec.InvalidUtf8Exception | AvroCodec.DeclaredLengthException e) {
            Reason reason = e instanceof AvroCodec.InvalidUtf8Exception ? Reason.INVALID_UTF8 : Reason.DECLARED_LENGTH_TOO_LARGE;
            metrics.rejected(reason);
            ctx.output(Rejected.TAG, Rejections.of(keyOrPosition(record), Stage.DECODE, reason,
                    "record at " + record.position() + ": " + e.getMessage(), null, 0));
        } catch (Exception | StackOverflowError | OutOfMemoryError e) {
            // Avro throws runtime exceptions and, for hostile lengths, errors: all mean "not a caption event"
            metrics.rejected(Reason.UNDECODABLE_RECORD);
            ctx.output(Rejected.TAG, Rejections.of(keyOrPosition(record), Stage.DECODE, Reason.UNDECODABLE_RECORD,
                    "record at " + record.position() + " is not an Avro CaptionEvent: " + e, null, 0));
        }
    }

    /** The record's key when it has one (producers key captions by id), its topic-partition@offset if not. */
    private static String keyOrPosition(KafkaRecord record) {
        return record.key != null && record.key.length > 0
                ? new String(record.key, StandardCharsets.UTF_8) : record.position();
    }
}
