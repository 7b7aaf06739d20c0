package org.editstream.imaging;

import java.io.Serializable;

/**
 * Limits on the images the job accepts and works with.
 *
 * @param maxPixels     width * height above which an image is refused from its header, before decoding
 *                      (decompression bombs)
 * @param maxEncodedBytes encoded size above which an image is refused
 * @param maxSide       working size: the longest side of a decoded image is scaled down to this
 */
public record ImageLimits(long maxPixels, int maxEncodedBytes, int maxSide) implements Serializable {
    public ImageLimits {
        if (maxPixels <= 0 || maxEncodedBytes <= 0 || maxSide <= 0) {
            throw new IllegalArgumentException("image limits must be positive: " + maxPixels + ", "
                    + maxEncodedBytes + ", " + maxSide);
        }
    }

    public static ImageLimits defaults() {
        return new ImageLimits(40_000_000L, 32 * 1024 * 1024, 512);
    }

    public ImageLimits withMaxSide(int side) {
        return new ImageLimits(maxPixels, maxEncodedBytes, side);
    }
}
