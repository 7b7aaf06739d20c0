package org.editstream.filters;

import org.editstream.avro.AvroCodec;
import org.editstream.imaging.ImageRefs;
import org.editstream.imaging.ImageStore;
import org.editstream.rejections.Refusal;
import org.editstream.schema.EditSample;
import org.editstream.schema.ImageRef;
import org.editstream.schema.Reason;

/**
 * Keeps samples within the Kafka record size the topics and clients are configured for: a sample whose
 * inline images make it too large has its images moved to the image store (shipped as URIs); when no
 * writable store is configured it is refused with SAMPLE_TOO_LARGE, never left to fail the sink.
 */
public final class RecordSizeLimit {
    private final int maxRecordBytes;
    private final ImageStore store;
    private final AvroCodec<EditSample> codec = new AvroCodec<>(EditSample.class);

    public RecordSizeLimit(int maxRecordBytes, ImageStore store) {
        this.maxRecordBytes = maxRecordBytes;
        this.store = store;
    }

    public EditSample fit(EditSample sample) throws Refusal {
        int size = encodedSize(sample);
        if (size <= maxRecordBytes) {
            return sample;
        }
        if (store == null || !store.canWrite()) {
            throw new Refusal(Reason.SAMPLE_TOO_LARGE, "sample is " + size + " bytes, the record limit is "
                    + maxRecordBytes + " and no writable image store is configured (--image-store)");
        }
        EditSample moved = EditSample.newBuilder(sample)
                .setInputImage(toStore(sample.getInputImage()))
                .setEditedImage(toStore(sample.getEditedImage()))
                .setMask(sample.getMask() == null ? null : toStore(sample.getMask()))
                .build();
        int movedSize = encodedSize(moved);
        if (movedSize > maxRecordBytes) {
            throw new Refusal(Reason.SAMPLE_TOO_LARGE, "sample is " + movedSize
                    + " bytes even with its images in the store; the record limit is " + maxRecordBytes);
        }
        return moved;
    }

    private ImageRef toStore(ImageRef image) throws Refusal {
        byte[] bytes = ImageRefs.inlineBytes(image);
        if (bytes == null) {
            return image;
        }
        String uri = store.write(bytes, image.getFormat());
        return ImageRef.newBuilder(image).setData(null).setUri(uri).build();
    }

    /** Size of the sample's Avro body (a registry's wire format adds 5 bytes, inside the framing allowance). */
    public int encodedSize(EditSample sample) {
        return codec.encode(sample).length;
    }
}
