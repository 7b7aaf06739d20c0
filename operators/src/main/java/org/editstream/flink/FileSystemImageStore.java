package org.editstream.flink;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.editstream.imaging.ImageStore;
import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;
import org.editstream.tasks.Seeds;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;

/**
 * Images through Flink's FileSystem abstraction (file://, and s3://, hdfs://, ... where their plugins are
 * installed), plus http(s) when the policy enables it. Writes are content-addressed: ROOT/ab/abcdef....png.
 */
final class FileSystemImageStore implements ImageStore {
    private final ImageStoreSettings settings;
    private HttpClient http;

    FileSystemImageStore(ImageStoreSettings settings) {
        this.settings = settings;
    }

    @Override
    public byte[] read(String uri) throws Refusal {
        String checked = settings.policy().check(uri);
        String scheme = URI.create(uri).getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("http") || scheme.equals("https")) {
            return readHttp(uri);
        }
        if (scheme.equals("file")) {
            // the real path the policy resolved, opened without following a link that appeared since
            try (InputStream in = java.nio.file.Files.newInputStream(java.nio.file.Path.of(URI.create(checked)),
                    java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return readCapped(in, uri);
            } catch (IOException e) {
                throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "cannot read image " + uri + ": " + e, e);
            }
        }
        Path path = new Path(uri);
        try {
            FileSystem fs = path.getFileSystem();
            try (FSDataInputStream in = fs.open(path)) {
                return readCapped(in, uri);
            }
        } catch (IOException e) {
            throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "cannot read image " + uri + ": " + e, e);
        }
    }

    private byte[] readHttp(String uri) throws Refusal {
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(settings.httpTimeout())
                    .followRedirects(HttpClient.Redirect.NEVER).build();
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(uri)).timeout(settings.httpTimeout()).GET().build();
        try {
            HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream body = response.body()) {
                if (response.statusCode() != 200) {
                    throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "GET " + uri + " answered HTTP " + response.statusCode());
                }
                return readCapped(body, uri);
            }
        } catch (IOException e) {
            throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "cannot fetch image " + uri + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "interrupted while fetching " + uri, e);
        }
    }

    private byte[] readCapped(InputStream in, String uri) throws IOException, Refusal {
        byte[] bytes = in.readNBytes(settings.maxImageBytes() + 1);
        if (bytes.length > settings.maxImageBytes()) {
            throw new Refusal(Reason.IMAGE_TOO_LARGE, "image " + uri + " is larger than " + settings.maxImageBytes() + " bytes");
        }
        return bytes;
    }

    @Override
    public boolean canWrite() {
        return settings.writeRoot() != null;
    }

    @Override
    public String write(byte[] data, String format) throws Refusal {
        if (!canWrite()) {
            throw new Refusal(Reason.SAMPLE_TOO_LARGE, "no image store is configured for writes");
        }
        String hash = Seeds.sha256Hex(data);
        String root = settings.writeRoot().endsWith("/") ? settings.writeRoot() : settings.writeRoot() + "/";
        Path path = new Path(root + hash.substring(0, 2) + "/" + hash + "." + (format == null ? "bin" : format));
        try {
            FileSystem fs = path.getFileSystem();
            if (!fs.exists(path)) {
                try (FSDataOutputStream out = fs.create(path, FileSystem.WriteMode.OVERWRITE)) {
                    out.write(data);
                }
            }
            return path.toUri().toString();
        } catch (IOException e) {
            throw new Refusal(Reason.SAMPLE_TOO_LARGE, "cannot store image at " + path + ": " + e, e);
        }
    }
}
