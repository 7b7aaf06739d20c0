package org.editstream.imaging;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageDecoderTest {
    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(1_000_000, 1 << 20, 64));

    @Test
    void bombIsRejectedFromHeader() throws Exception {
        // a PNG whose header claims 50000 x 50000 pixels and that holds no pixel data at all
        byte[] bomb = pngHeaderOnly(50_000, 50_000);
        assertThatThrownBy(() -> decoder.readHeader(bomb)).isInstanceOfSatisfying(Refusal.class, r -> {
            assertThat(r.reason()).isEqualTo(Reason.IMAGE_TOO_LARGE);
            assertThat(r.detail()).contains("50000x50000").contains("not decoded");
        });
        assertThatThrownBy(() -> decoder.decode(bomb)).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.reason()).isEqualTo(Reason.IMAGE_TOO_LARGE));
    }

    @Test
    void garbageIsUndecodable() {
        byte[] text = "this is not an image".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.decode(text)).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.reason()).isEqualTo(Reason.IMAGE_UNDECODABLE));
    }

    @Test
    void truncatedPngIsUndecodable() throws Exception {
        byte[] png = encode(new BufferedImage(40, 30, BufferedImage.TYPE_3BYTE_BGR), "png");
        byte[] cut = java.util.Arrays.copyOf(png, png.length / 2);
        assertThatThrownBy(() -> decoder.decode(cut)).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.reason()).isEqualTo(Reason.IMAGE_UNDECODABLE));
    }

    @Test
    void sixteenBitGreyWithAlphaBecomesRgbAndIsCappedToWorkingSize() throws Exception {
        BufferedImage grey16 = new BufferedImage(200, 100, BufferedImage.TYPE_USHORT_GRAY);
        grey16.getRaster().setSample(10, 10, 0, 65535);
        BufferedImage decoded = decoder.decode(encode(grey16, "png"));
        assertThat(decoded.getType()).isEqualTo(BufferedImage.TYPE_3BYTE_BGR);
        assertThat(decoded.getWidth()).isEqualTo(64);
        assertThat(decoded.getHeight()).isEqualTo(32);

        BufferedImage transparent = new BufferedImage(20, 20, BufferedImage.TYPE_INT_ARGB);
        BufferedImage flat = decoder.decode(encode(transparent, "png"));
        assertThat(flat.getRGB(5, 5) & 0xFFFFFF).as("transparent pixels land on white").isEqualTo(0xFFFFFF);
    }

    @Test
    void exifOrientationSixRotatesClockwise() {
        BufferedImage stored = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
        stored.setRGB(0, 0, 0xFF0000); // top-left red
        BufferedImage upright = ImageDecoder.orient(stored, 6);
        assertThat(upright.getWidth()).isEqualTo(2);
        assertThat(upright.getHeight()).isEqualTo(3);
        assertThat(upright.getRGB(1, 0) & 0xFFFFFF).as("top-left goes to top-right").isEqualTo(0xFF0000);

        assertThat(ImageDecoder.orient(stored, 3).getRGB(2, 1) & 0xFFFFFF).isEqualTo(0xFF0000);
        assertThat(ImageDecoder.orient(stored, 8).getRGB(0, 2) & 0xFFFFFF).isEqualTo(0xFF0000);
        assertThat(ImageDecoder.orient(stored, 2).getRGB(2, 0) & 0xFFFFFF).isEqualTo(0xFF0000);
    }

    @Test
    void firstFrameOfAnAnimationIsTaken() throws Exception {
        BufferedImage frame = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_INDEXED);
        BufferedImage decoded = decoder.decode(encode(frame, "gif"));
        assertThat(decoded.getWidth()).isEqualTo(16);
        assertThat(decoder.readHeader(encode(frame, "gif")).format()).isEqualTo("gif");
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).isTrue();
        return out.toByteArray();
    }

    static byte[] pngHeaderOnly(int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream d = new DataOutputStream(ihdr);
        d.writeBytes("IHDR");
        d.writeInt(width);
        d.writeInt(height);
        d.write(new byte[] {8, 2, 0, 0, 0});
        byte[] chunk = ihdr.toByteArray();
        out.writeInt(13);
        out.write(chunk);
        CRC32 crc = new CRC32();
        crc.update(chunk);
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }
}
