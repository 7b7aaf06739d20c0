package org.editstream.imaging;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ImageUriPolicyTest {
    @Test
    void aLinkInsideAnImageFolderThatPointsOutsideIsRefusedBeforeAnyByteIsRead(@TempDir Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path secret = Files.writeString(dir.resolve("secret.txt"), "not an image");
        Path link = Files.createSymbolicLink(images.resolve("cat.png"), secret);
        ImageUriPolicy policy = ImageUriPolicy.filesUnder(List.of(images));
        Refusal r = catchThrowableOfType(Refusal.class, () -> policy.check(link.toUri().toString()));
        assertThat(r).isNotNull();
        assertThat(r.reason()).isEqualTo(Reason.IMAGE_URI_NOT_ALLOWED);
        assertThat(r.getMessage()).contains("is a link to").contains(secret.toRealPath().toString());
    }

    @Test
    void aLinkThatStaysInsideIsReadByItsRealPath(@TempDir Path dir) throws Exception {
        Path images = Files.createDirectories(dir.resolve("images"));
        Path real = Files.write(images.resolve("real.png"), new byte[] {1, 2, 3});
        Path link = Files.createSymbolicLink(images.resolve("alias.png"), real);
        ImageUriPolicy policy = ImageUriPolicy.filesUnder(List.of(images));
        assertThat(Path.of(java.net.URI.create(policy.check(link.toUri().toString())))).isEqualTo(real.toRealPath());
    }

    @Test
    void aMissingFileUnderAFolderPassesTheCheckAndIsLeftToTheRead(@TempDir Path dir) throws Exception {
        ImageUriPolicy policy = ImageUriPolicy.filesUnder(List.of(dir));
        Path missing = dir.resolve("none.png");
        assertThat(Path.of(java.net.URI.create(policy.check(missing.toUri().toString())))).isEqualTo(missing);
        Path outside = Files.createSymbolicLink(dir.resolve("dangling.png"), dir.resolveSibling("gone.png"));
        assertThat(Path.of(java.net.URI.create(policy.check(outside.toUri().toString())))).isEqualTo(outside);
    }

    @Test
    void shortenedLoopbackAddressesAreRefusedAsInternal() {
        ImageUriPolicy policy = new ImageUriPolicy(List.of(), List.of(), true, Set.of());
        for (String uri : new String[] {"http://127.1/", "http://127.1:8080/cat.png", "http://user@127.1/x", "http://2130706433/"}) {
            Refusal r = catchThrowableOfType(Refusal.class, () -> policy.check(uri));
            assertThat(r).as(uri).isNotNull();
            assertThat(r.reason()).as(uri).isEqualTo(Reason.IMAGE_URI_NOT_ALLOWED);
            assertThat(r.getMessage()).as(uri).contains("resolves to internal address 127.0.0.1");
        }
    }
}
