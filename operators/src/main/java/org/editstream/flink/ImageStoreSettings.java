package org.editstream.flink;

import org.editstream.imaging.ImageStore;
import org.editstream.imaging.ImageUriPolicy;

import java.io.Serializable;
import java.time.Duration;

/**
 * How operators reach images: the URI policy, the read limit, and where large images are written (a folder
 * URI any Flink file system serves: file:///..., s3://bucket/prefix, hdfs://...), or null for no writes.
 */
public record ImageStoreSettings(ImageUriPolicy policy, int maxImageBytes, String writeRoot, Duration httpTimeout)
        implements Serializable {

    public ImageStore open() {
        return new FileSystemImageStore(this);
    }
}
