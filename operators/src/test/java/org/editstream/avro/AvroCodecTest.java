package org.editstream.avro;

import org.editstream.schema.CaptionEvent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroCodecTest {
    private final AvroCodec<CaptionEvent> codec = new AvroCodec<>(CaptionEvent.class);

    @Test
    void aCaptionOfInvalidUtf8IsRefusedNotRepaired() {
        byte[] bytes = codec.encode(CaptionEvent.newBuilder().setId("c1").setCaption("a cat QQ on a sofa").build());
        int at = indexOf(bytes, "QQ".getBytes(StandardCharsets.US_ASCII));
        bytes[at] = (byte) 0xC3; // a lead byte followed by one that cannot continue it
        bytes[at + 1] = (byte) 0x28;
        assertThatThrownBy(() -> codec.decode(bytes)).isInstanceOf(AvroCodec.InvalidUtf8Exception.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void theRegistryWireFormatReadAsPlainAvroSaysSo() {
        byte[] body = codec.encode(CaptionEvent.newBuilder().setId("c3").setCaption("a dog").build());
        byte[] wire = new byte[body.length + 5];
        wire[4] = 7; // magic byte 0, schema id 7
        System.arraycopy(body, 0, wire, 5, body.length);
        assertThatThrownBy(() -> codec.decode(wire)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema registry wire format (magic byte 0, schema id 7)");
    }

    @Test
    void plainAvroReadWithARegistrySaysSo() {
        AvroCodec<CaptionEvent> withRegistry = AvroCodec.forTopic(CaptionEvent.class,
                new SchemaRegistryClient("http://127.0.0.1:9", java.time.Duration.ofSeconds(1)), "captions");
        byte[] plain = codec.encode(CaptionEvent.newBuilder().setId("c4").setCaption("a dog").build());
        assertThatThrownBy(() -> withRegistry.decode(plain)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("plain Avro is read without a schema registry");
    }

    @Test
    void validUtf8ThatIsNotAsciiStillDecodes() {
        CaptionEvent event = CaptionEvent.newBuilder().setId("c2").setCaption("une tasse de café, 猫, \uD83D\uDC08").build();
        assertThat(codec.decode(codec.encode(event)).getCaption()).isEqualTo(event.getCaption());
    }

    @Test
    void aStringThatDeclaresAGigabyteIsRefusedBeforeItIsAllocated() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // the union's string branch, then a length of 2^30 (zigzag varint): under Java's array limit, over ours
        out.writeBytes(new byte[] {0x02, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08});
        out.writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> codec.decode(out.toByteArray())).isInstanceOf(AvroCodec.DeclaredLengthException.class)
                .hasMessageContaining("declares more than " + AvroCodec.MAX_DECLARED_LENGTH);
    }

    @Test
    void aStringThatDeclaresTwoGigabytesIsRefusedBeforeItIsAllocated() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // the id field: the union's string branch, then a length of 2^31 - 1 (zigzag varint), then a few bytes
        // where 2 GB would have to follow
        out.writeBytes(new byte[] {0x02, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F});
        out.writeBytes("abc".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(() -> codec.decode(out.toByteArray())).isInstanceOf(AvroCodec.DeclaredLengthException.class)
                .hasMessageContaining("declares more than " + AvroCodec.MAX_DECLARED_LENGTH);
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(haystack, i, i + needle.length), needle)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }
}
