package org.editstream.imaging;

import org.editstream.schema.ImageRef;

import java.nio.ByteBuffer;

/** Reads the inline bytes of an {@link ImageRef} without disturbing its buffer. */
public final class ImageRefs {
    private ImageRefs() {
    }

    /** The inline bytes, or null when the image travels by URI. */
    public static byte[] inlineBytes(ImageRef ref) {
        if (ref.getData() == null) {
            return null;
        }
        ByteBuffer data = ref.getData().duplicate();
        byte[] bytes = new byte[data.remaining()];
        data.get(bytes);
        return bytes;
    }
}
