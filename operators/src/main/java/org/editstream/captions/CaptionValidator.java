package org.editstream.captions;

import org.editstream.imaging.ImageDecoder;
import org.editstream.imaging.ImageHeader;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.ImageUriPolicy;
import org.editstream.rejections.Refusal;
import org.editstream.schema.CaptionEvent;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;
import org.editstream.tasks.Seeds;
import org.editstream.tasks.TaskCatalogue;

import java.io.Serializable;

/**
 * Checks one caption event before any work is spent on it, and returns it normalised (caption white space
 * collapsed, image dimensions and format filled from the image header). Every failure is a {@link Refusal}
 * with its own reason. Images are checked from their header only: a decompression bomb is refused before
 * a single pixel is decoded; URIs are checked against the policy here and read later.
 */
public final class CaptionValidator implements Serializable {
    private static final long serialVersionUID = 1L;

    private final CaptionLimits limits;
    private final ImageDecoder decoder;
    private final ImageUriPolicy uriPolicy;

    public CaptionValidator(CaptionLimits limits, ImageDecoder decoder, ImageUriPolicy uriPolicy) {
        this.limits = limits;
        this.decoder = decoder;
        this.uriPolicy = uriPolicy;
    }

    /** Whether the event carries an id, the key everything downstream is traced by. */
    public static boolean hasId(CaptionEvent event) {
        return event.getId() != null && !event.getId().isBlank();
    }

    public CaptionEvent validate(CaptionEvent event) throws Refusal {
        if (!hasId(event)) {
            throw new Refusal(Reason.MISSING_ID, "caption event has no id");
        }
        if (event.getId().length() > limits.maxIdChars()) {
            throw new Refusal(Reason.ID_TOO_LONG, "caption id has " + event.getId().length() + " characters, the limit is "
                    + limits.maxIdChars());
        }
        int badInId = firstControlCharacter(event.getId());
        if (badInId >= 0) {
            throw new Refusal(Reason.CAPTION_CONTROL_CHARACTERS, String.format(
                    "caption id holds control character U+%04X at index %d", event.getId().codePointAt(badInId), badInId));
        }
        String caption = normalise(event.getCaption());
        if (caption.isEmpty()) {
            throw new Refusal(Reason.MISSING_CAPTION, "caption is missing or blank");
        }
        if (caption.length() > limits.maxChars()) {
            throw new Refusal(Reason.CAPTION_TOO_LONG,
                    "caption has " + caption.length() + " characters, the limit is " + limits.maxChars());
        }
        int bad = firstControlCharacter(caption);
        if (bad >= 0) {
            throw new Refusal(Reason.CAPTION_CONTROL_CHARACTERS, String.format(
                    "caption holds control character U+%04X at index %d", caption.codePointAt(bad), bad));
        }
        if (event.getTaskHint() != null && !event.getTaskHint().isBlank()
                && TaskCatalogue.byName(event.getTaskHint()).isEmpty()) {
            throw new Refusal(Reason.UNKNOWN_TASK_HINT, "task hint '" + event.getTaskHint() + "' names no task");
        }
        if (event.getSeed() != null && !Seeds.isValid(event.getSeed())) {
            throw new Refusal(Reason.BAD_SEED, "seed " + event.getSeed() + " is outside [0, 2^32)");
        }
        CaptionEvent.Builder out = CaptionEvent.newBuilder(event).setCaption(caption);
        if (event.getImage() != null) {
            out.setImage(checkImage(event.getImage()));
        }
        return out.build();
    }

    /** The seed every draw of this caption derives from. */
    public static long seedOf(CaptionEvent event) {
        return event.getSeed() != null ? event.getSeed() : Seeds.fromCaptionId(event.getId());
    }

    private ImageRef checkImage(ImageRef image) throws Refusal {
        boolean hasData = image.getData() != null;
        boolean hasUri = image.getUri() != null && !image.getUri().isBlank();
        if (hasData == hasUri) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, hasData
                    ? "image carries both inline bytes and a URI; exactly one is allowed"
                    : "image carries neither inline bytes nor a URI");
        }
        if (hasUri) {
            uriPolicy.check(image.getUri());
            return image;
        }
        ImageHeader header = decoder.readHeader(ImageRefs.inlineBytes(image));
        return ImageRef.newBuilder(image)
                .setFormat(header.format())
                .setWidth(header.width())
                .setHeight(header.height())
                .build();
    }

    /** Collapses runs of white space (tab and newline included) to one space and strips the ends. */
    static String normalise(String caption) {
        if (caption == null) {
            return "";
        }
        return caption.replaceAll("[\\s\\u00A0]+", " ").strip();
    }

    /** The index of the first control or format character (or unpaired surrogate) in {@code text}, or -1. */
    public static int firstControlCharacter(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int type = Character.getType(c);
            if (type == Character.CONTROL || type == Character.FORMAT && c != '\u200D'
                    || Character.isSurrogate(c) && !validSurrogateAt(text, i)) {
                return i;
            }
            if (Character.isHighSurrogate(c)) {
                i++;
            }
        }
        return -1;
    }

    private static boolean validSurrogateAt(String text, int i) {
        return Character.isHighSurrogate(text.charAt(i)) && i + 1 < text.length()
                && Character.isLowSurrogate(text.charAt(i + 1));
    }
}
