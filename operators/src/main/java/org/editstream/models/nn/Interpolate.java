package org.editstream.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * torch's {@code F.interpolate} for the modes reference models call it with (DJL's resize has neither
 * {@code align_corners} nor scale factors). Images from files go through {@link org.editstream.models.Resampling},
 * which is Pillow's, not this.
 */
public final class Interpolate {
    private Interpolate() {
    }

    /** {@code F.interpolate(x, size=(height, width), mode="bilinear", align_corners=...)} of [N, C, H, W]. */
    public static NDArray bilinear(NDArray x, long height, long width, boolean alignCorners) {
        return Kernels.bilinear(x, height, width, alignCorners, x.getManager());
    }

    /**
     * {@code F.interpolate(x, scale_factor=(scaleH, scaleW), mode="bicubic", align_corners=False)} of [N, C, H, W],
     * the result in {@code results} (x may be a weight held by a long-lived manager).
     */
    public static NDArray bicubicByScale(NDArray x, double scaleH, double scaleW, NDManager results) {
        return Kernels.bicubicByScale(x, scaleH, scaleW, results);
    }
}
