package org.editstream.filters;

import org.editstream.schema.EditSample;

import java.util.Optional;

/** One keep/reject rule over a finished sample: a score against a threshold, with a name for its rejections. */
public interface Filter {
    /** The name rejections carry, e.g. FILTER_PIXEL_L1. */
    String name();

    /** Empty to keep the sample, or why it fails ("0.0004 < 0.0010"). */
    Optional<String> failure(EditSample sample);
}
