package org.editstream.flink;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.editstream.captions.CaptionValidator;
import org.editstream.rejections.Rejections;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.Reason;
import org.editstream.schema.Stage;

import java.nio.charset.StandardCharsets;

/** Decodes Avro caption events; bytes that do not decode become UNDECODABLE_RECORD rejections. */
public class DecodeCaptions extends ProcessFunction<KafkaRecord, CaptionEvent> {
    private static final long serialVersionUID = 1L;

    private transient SpecificDatumReader<CaptionEvent> reader;
    private transient BinaryDecoder decoder;
    private transient StageMetrics metrics;

    @Override
    public void open(OpenContext context) {
        reader = new SpecificDatumReader<>(CaptionEvent.class);
        metrics = new StageMetrics(getRuntimeContext().getMetricGroup(), "decode");
    }

    @Override
    public void processElement(KafkaRecord record, Context ctx, Collector<CaptionEvent> out) {
        try {
            if (record.value == null) {
                throw new IllegalArgumentException("record has no value (tombstone)");
            }
            decoder = DecoderFactory.get().binaryDecoder(record.value, decoder);
            CaptionEvent event = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new IllegalArgumentException("trailing bytes after the caption event");
            }
            if (!CaptionValidator.hasId(event)) {
                // rejected here, where the record's position is still known to trace it by
                metrics.rejected(Reason.MISSING_ID);
                ctx.output(Rejected.TAG, Rejections.of(keyOrPosition(record), Stage.VALIDATE, Reason.MISSING_ID,
                        "caption event at " + record.position() + " has no id", null, 0));
                return;
            }
            metrics.recordOut(null);
            out.collect(event);
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
