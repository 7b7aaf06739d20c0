package org.editstream.imaging;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.geom.AffineTransform;
import java.awt.image.AffineTransformOp;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Iterator;
import java.util.Locale;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

/**
 * Turns encoded image bytes into a working image: header checked against the limits before any pixel is
 * decoded, first frame only, EXIF orientation applied, any colour model (grey, alpha, palette, 16-bit,
 * CMYK JPEG) converted to 8-bit sRGB (BGR byte order), longest side capped at the working size.
 */
public final class ImageDecoder implements Serializable {
    private static final long serialVersionUID = 1L;

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    public ImageLimits limits() {
        return limits;
    }

    /** Reads format and size from the header; refuses undecodable and over-limit images. */
    public ImageHeader readHeader(byte[] bytes) throws Refusal {
        checkEncodedSize(bytes);
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            try {
                reader.setInput(in, false, true);
                return checkedHeader(reader);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "image header does not decode: " + e, e);
        }
    }

    /** Decodes to a TYPE_3BYTE_BGR image no larger than the working size. */
    public BufferedImage decode(byte[] bytes) throws Refusal {
        checkEncodedSize(bytes);
        BufferedImage frame;
        String format;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = readerFor(in);
            try {
                reader.setInput(in, false, true);
                ImageHeader header = checkedHeader(reader);
                format = header.format();
                ImageReadParam param = reader.getDefaultReadParam();
                int step = subsamplingStep(header);
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                frame = reader.read(0, param);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "image does not decode: " + e, e);
        }
        BufferedImage upright = "jpeg".equals(format) ? orient(frame, exifOrientation(bytes)) : frame;
        return capSize(Images.toBgr(upright));
    }

    private void checkEncodedSize(byte[] bytes) throws Refusal {
        if (bytes == null || bytes.length == 0) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "image has no bytes");
        }
        if (bytes.length > limits.maxEncodedBytes()) {
            throw new Refusal(Reason.IMAGE_TOO_LARGE, "encoded image is " + bytes.length
                    + " bytes, the limit is " + limits.maxEncodedBytes());
        }
    }

    private static ImageReader readerFor(ImageInputStream in) throws Refusal {
        if (in == null) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "image bytes cannot be read");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "no decoder recognises these bytes as an image");
        }
        return readers.next();
    }

    private ImageHeader checkedHeader(ImageReader reader) throws IOException, Refusal {
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (format.equals("jpg")) {
            format = "jpeg";
        }
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0) {
            throw new Refusal(Reason.IMAGE_UNDECODABLE, "image header gives size " + width + "x" + height);
        }
        ImageHeader header = new ImageHeader(format, width, height, 1);
        if (header.pixels() > limits.maxPixels()) {
            throw new Refusal(Reason.IMAGE_TOO_LARGE, "image is " + width + "x" + height + " = " + header.pixels()
                    + " pixels, the limit is " + limits.maxPixels() + " (refused from the header, not decoded)");
        }
        return header;
    }

    /** Reads every n-th pixel of images far above the working size, so memory stays bounded. */
    private int subsamplingStep(ImageHeader header) {
        int longest = Math.max(header.width(), header.height());
        return Math.max(1, longest / (2 * limits.maxSide()));
    }

    private BufferedImage capSize(BufferedImage image) {
        int longest = Math.max(image.getWidth(), image.getHeight());
        if (longest <= limits.maxSide()) {
            return image;
        }
        double scale = (double) limits.maxSide() / longest;
        int w = Math.max(1, (int) Math.round(image.getWidth() * scale));
        int h = Math.max(1, (int) Math.round(image.getHeight() * scale));
        try (Mat src = OpenCvBridge.toMat(image); Mat dst = new Mat(); Size size = new Size(w, h)) {
            resize(src, dst, size, 0, 0, INTER_AREA);
            return OpenCvBridge.toImage(dst);
        }
    }

    private static int exifOrientation(byte[] bytes) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(bytes));
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif != null && exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                return exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
            }
        } catch (Exception e) {
            // unreadable metadata: the pixels are still good, keep them as stored
        }
        return 1;
    }

    /** Applies EXIF orientation 1..8 (TIFF 6.0 semantics) so the image is upright. */
    static BufferedImage orient(BufferedImage image, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        // x' = m00 x + m01 y + m02, y' = m10 x + m11 y + m12, mapping stored pixels to upright ones
        AffineTransform t = switch (orientation) {
            case 2 -> new AffineTransform(-1, 0, 0, 1, w, 0);   // mirror horizontally
            case 3 -> new AffineTransform(-1, 0, 0, -1, w, h);  // rotate 180
            case 4 -> new AffineTransform(1, 0, 0, -1, 0, h);   // mirror vertically
            case 5 -> new AffineTransform(0, 1, 1, 0, 0, 0);    // transpose
            case 6 -> new AffineTransform(0, 1, -1, 0, h, 0);   // rotate 90 clockwise
            case 7 -> new AffineTransform(0, -1, -1, 0, h, w);  // transverse
            default -> new AffineTransform(0, -1, 1, 0, 0, w);  // 8: rotate 90 counter-clockwise
        };
        BufferedImage source = Images.toBgr(image);
        boolean swap = orientation >= 5;
        BufferedImage out = new BufferedImage(swap ? h : w, swap ? w : h, BufferedImage.TYPE_3BYTE_BGR);
        new AffineTransformOp(t, AffineTransformOp.TYPE_NEAREST_NEIGHBOR).filter(source, out);
        return out;
    }
}
