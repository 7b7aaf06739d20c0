package org.editstream.export;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.editstream.imaging.ImageRefs;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Locale;

/**
 * One WebDataset tar shard: per sample {@code KEY.input.png}, {@code KEY.edited.png}, {@code KEY.mask.png} (when
 * the sample has a mask) and {@code KEY.json} (everything else), the key being the sample id. The extension follows
 * the image's format ({@code .jpg} for JPEG). An image that travels by URI is not copied: its URI is in the JSON.
 */
public final class WebDatasetShard {
    public static final String INPUT = "input";
    public static final String EDITED = "edited";
    public static final String MASK = "mask";

    /** Tar writes 512-byte blocks; a buffer turns them into large writes to the file system underneath. */
    private static final int BUFFER_BYTES = 1 << 20;

    private final BufferedOutputStream buffer;
    private final TarArchiveOutputStream tar;

    public WebDatasetShard(OutputStream out) {
        this.buffer = new BufferedOutputStream(out, BUFFER_BYTES);
        this.tar = new TarArchiveOutputStream(buffer);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    public void add(EditSample sample) throws IOException {
        String key = sample.getSampleId();
        long mtime = sample.getLineage().getCreatedAt() == null ? 0 : sample.getLineage().getCreatedAt().toEpochMilli();
        image(key, INPUT, sample.getInputImage(), mtime);
        image(key, EDITED, sample.getEditedImage(), mtime);
        if (sample.getMask() != null) {
            image(key, MASK, sample.getMask(), mtime);
        }
        entry(key + ".json", SampleJson.bytes(sample), mtime);
    }

    /** Appends every member of a finished shard, as it is (compaction of part files into one shard). */
    public void copyMembers(InputStream finished) throws IOException {
        TarArchiveInputStream in = new TarArchiveInputStream(finished);
        for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
            entry(e.getName(), in.readAllBytes(), e.getModTime().getTime());
        }
    }

    /** Ends the archive (its two zero blocks) and flushes it, without closing the stream underneath. */
    public void finish() throws IOException {
        tar.finish();
        flush();
    }

    /** Hands everything written so far to the stream underneath (tar's flush does not reach the buffer). */
    public void flush() throws IOException {
        tar.flush();
        buffer.flush();
    }

    /** The member name's extension for an image of this format. */
    public static String extension(ImageRef ref) {
        String format = ref.getFormat() == null ? "png" : ref.getFormat().toLowerCase(Locale.ROOT);
        return format.equals("jpeg") ? "jpg" : format;
    }

    private void image(String key, String role, ImageRef ref, long mtime) throws IOException {
        byte[] bytes = ImageRefs.inlineBytes(ref);
        if (bytes != null) {
            entry(key + "." + role + "." + extension(ref), bytes, mtime);
        }
    }

    private void entry(String name, byte[] bytes, long mtime) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(bytes.length);
        entry.setModTime(mtime);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }
}
