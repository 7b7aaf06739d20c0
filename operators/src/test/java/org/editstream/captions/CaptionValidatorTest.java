package org.editstream.captions;

import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageLimits;
import org.editstream.imaging.ImageUriPolicy;
import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CaptionValidatorTest {
    private final CaptionValidator validator = new CaptionValidator(new CaptionLimits(50),
            new ImageDecoder(ImageLimits.defaults()), ImageUriPolicy.filesUnder(List.of(Path.of("/data/images"))));

    private static CaptionEvent.Builder caption(String id, String text) {
        return CaptionEvent.newBuilder().setId(id).setCaption(text);
    }

    private Reason reasonOf(CaptionEvent event) {
        try {
            validator.validate(event);
            return null;
        } catch (Refusal r) {
            return r.reason();
        }
    }

    @Test
    void eachBadInputHasItsOwnReason() {
        assertThat(reasonOf(caption(null, "a dog").build())).isEqualTo(Reason.MISSING_ID);
        assertThat(reasonOf(caption("1", "   \t ").build())).isEqualTo(Reason.MISSING_CAPTION);
        assertThat(reasonOf(caption("1", null).build())).isEqualTo(Reason.MISSING_CAPTION);
        assertThat(reasonOf(caption("1", "a".repeat(51)).build())).isEqualTo(Reason.CAPTION_TOO_LONG);
        assertThat(reasonOf(caption("1", "a dog\u0007 barking").build())).isEqualTo(Reason.CAPTION_CONTROL_CHARACTERS);
        assertThat(reasonOf(caption("1", "a dog").setTaskHint("painting").build())).isEqualTo(Reason.UNKNOWN_TASK_HINT);
        assertThat(reasonOf(caption("1", "a dog").setSeed(-1L).build())).isEqualTo(Reason.BAD_SEED);
        assertThat(reasonOf(caption("1", "a dog").setSeed(1L << 32).build())).isEqualTo(Reason.BAD_SEED);
        assertThat(reasonOf(caption("1", "a dog").setImage(ImageRef.newBuilder()
                .setData(ByteBuffer.wrap(new byte[] {1, 2, 3})).build()).build())).isEqualTo(Reason.IMAGE_UNDECODABLE);
        assertThat(reasonOf(caption("1", "a dog").setImage(ImageRef.newBuilder()
                .setUri("file:///etc/passwd").build()).build())).isEqualTo(Reason.IMAGE_URI_NOT_ALLOWED);
        assertThat(reasonOf(caption("1", "a dog").setImage(ImageRef.newBuilder()
                .setUri("file:///data/images/../../etc/passwd").build()).build())).isEqualTo(Reason.IMAGE_URI_NOT_ALLOWED);
        assertThat(reasonOf(caption("1", "a dog").setImage(ImageRef.newBuilder()
                .setUri("http://127.0.0.1/cat.png").build()).build())).isEqualTo(Reason.IMAGE_URI_NOT_ALLOWED);
    }

    @Test
    void goodCaptionIsNormalised() throws Refusal {
        CaptionEvent valid = validator.validate(caption("1", "  a dog\n on   the grass ").setTaskHint("Color").build());
        assertThat(valid.getCaption()).isEqualTo("a dog on the grass");
        assertThat(reasonOf(caption("1", "a cat").setImage(ImageRef.newBuilder()
                .setUri("file:///data/images/cat.png").build()).build())).isNull();
    }

    @Test
    void seedComesFromTheCaptionOrItsId() {
        assertThat(CaptionValidator.seedOf(caption("x", "a").setSeed(42L).build())).isEqualTo(42L);
        long derived = CaptionValidator.seedOf(caption("x", "a").build());
        assertThat(derived).isEqualTo(CaptionValidator.seedOf(caption("x", "b").build())).isBetween(0L, (1L << 32) - 1);
        assertThat(derived).isNotEqualTo(CaptionValidator.seedOf(caption("y", "a").build()));
    }

    @Test
    void idsHaveALengthLimitAndNoControlCharacters() {
        String longId = "x".repeat(CaptionLimits.DEFAULT_MAX_ID_CHARS + 1);
        assertThat(reasonOf(caption(longId, "a dog").build())).isEqualTo(Reason.ID_TOO_LONG);
        assertThat(reasonOf(caption("x".repeat(100_000), "a dog").build())).isEqualTo(Reason.ID_TOO_LONG);
        assertThat(reasonOf(caption("x".repeat(CaptionLimits.DEFAULT_MAX_ID_CHARS), "a dog").build())).isNull();
        assertThat(reasonOf(caption("id\u0000", "a dog").build())).isEqualTo(Reason.CAPTION_CONTROL_CHARACTERS);
    }
}
