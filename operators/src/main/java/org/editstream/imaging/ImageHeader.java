package org.editstream.imaging;

/** What an image's header says, read without decoding pixels. */
public record ImageHeader(String format, int width, int height, int frames) {
    public long pixels() {
        return (long) width * height;
    }
}
