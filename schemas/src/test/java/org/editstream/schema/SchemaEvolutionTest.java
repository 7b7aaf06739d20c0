package org.editstream.schema;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.Encoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Records written with earlier schemas stay readable. {@code schema-history/v1} is the schema as first
 * released, frozen; when a contract changes, the released version is frozen next to it and stays tested.
 */
class SchemaEvolutionTest {
    private static Schema frozen(String path) {
        try (InputStream in = SchemaEvolutionTest.class.getResourceAsStream("/schema-history/" + path)) {
            if (in == null) {
                throw new IllegalStateException("no frozen schema " + path);
            }
            return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Schema current(String name) {
        return switch (name) {
            case "CaptionEvent" -> CaptionEvent.getClassSchema();
            case "EditSample" -> EditSample.getClassSchema();
            case "Rejection" -> Rejection.getClassSchema();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"CaptionEvent", "EditSample", "Rejection"})
    void currentReadersReadV1DataAndV1ReadersReadCurrentData(String name) {
        Schema v1 = frozen("v1/" + name + ".avsc");
        Schema now = current(name);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(now, v1).getType())
                .as("current reader, v1 writer").isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(v1, now).getType())
                .as("v1 reader, current writer").isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void aV1CaptionEventDecodesWithTheCurrentClasses() throws IOException {
        Schema v1 = frozen("v1/CaptionEvent.avsc");
        Schema imageRef = v1.getField("image").schema().getTypes().get(1);
        GenericRecord image = new GenericRecordBuilder(imageRef).set("uri", "file:///data/cat.jpg").build();
        GenericRecord old = new GenericRecordBuilder(v1).set("id", "c-1").set("caption", "a cat on a sofa")
                .set("image", image).set("taskHint", "color").set("seed", 42L).set("source", "coco")
                .set("ingestTime", 1_700_000_000_000L).build();

        CaptionEvent event = read(write(v1, old), v1, CaptionEvent.getClassSchema());

        assertThat(event.getId()).isEqualTo("c-1");
        assertThat(event.getCaption()).isEqualTo("a cat on a sofa");
        assertThat(event.getImage().getUri()).isEqualTo("file:///data/cat.jpg");
        assertThat(event.getImage().getData()).isNull();
        assertThat(event.getTaskHint()).isEqualTo("color");
        assertThat(event.getSeed()).isEqualTo(42L);
        assertThat(event.getIngestTime()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    @Test
    void theSimplestProducersEventsGetTheDefaults() throws IOException {
        Schema minimal = frozen("minimal-producer/CaptionEvent.avsc");
        GenericRecord old = new GenericRecordBuilder(minimal).set("id", "m-1").set("caption", "a boat").build();

        CaptionEvent event = read(write(minimal, old), minimal, CaptionEvent.getClassSchema());

        assertThat(event.getId()).isEqualTo("m-1");
        assertThat(event.getImage()).isNull();
        assertThat(event.getTaskHint()).isNull();
        assertThat(event.getSeed()).isNull();
        assertThat(event.getSource()).isEmpty();
        assertThat(event.getIngestTime()).isEqualTo(Instant.EPOCH);
    }

    @Test
    void aReasonAnOlderReaderDoesNotKnowReadsAsUnknown() throws IOException {
        Schema v1 = frozen("v1/Rejection.avsc");
        Schema older = new Schema.Parser().parse(v1.toString().replace(",\"SAMPLE_TOO_LARGE\"", ""));
        assertThat(older.toString()).doesNotContain("SAMPLE_TOO_LARGE");
        Rejection rejection = Rejection.newBuilder().setCaptionId("c-2").setStage(Stage.FILTER)
                .setReason(Reason.SAMPLE_TOO_LARGE).setDetail("9 MB").setCreatedAt(Instant.ofEpochMilli(5)).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new SpecificDatumWriter<>(Rejection.class).write(rejection, encoder);
        encoder.flush();

        GenericRecord read = new GenericDatumReader<GenericRecord>(Rejection.getClassSchema(), older)
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));

        assertThat(read.get("reason").toString()).isEqualTo("UNKNOWN");
        assertThat(read.get("captionId").toString()).isEqualTo("c-2");
    }

    private static byte[] write(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Encoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        DatumWriter<GenericRecord> writer = new GenericDatumWriter<>(schema, GenericData.get());
        writer.write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static CaptionEvent read(byte[] bytes, Schema writer, Schema reader) throws IOException {
        return new SpecificDatumReader<CaptionEvent>(writer, reader)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }
}
