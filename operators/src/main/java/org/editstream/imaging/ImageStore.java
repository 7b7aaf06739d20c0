package org.editstream.imaging;

import org.editstream.rejections.Refusal;

/**
 * Where images live when they do not travel inline: reads images by URI, and stores images that are
 * too large to ship inside a Kafka record, by content hash.
 */
public interface ImageStore {
    /** Reads the bytes behind an allowed URI; an unreachable or unreadable URI is a refusal. */
    byte[] read(String uri) throws Refusal;

    /** Whether this store can keep images (a read-only store cannot). */
    boolean canWrite();

    /** Stores the bytes under their content hash and returns the URI to ship instead. */
    String write(byte[] data, String format) throws Refusal;
}
