package org.editstream.imaging;

import org.editstream.rejections.Refusal;
import org.editstream.schema.Reason;

import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which image URIs the job may read. By default only file:// URIs under the configured folders; object
 * store URIs (s3://bucket/prefix, hdfs://...) only under configured prefixes; http(s) only when enabled,
 * and never to loopback, link-local or private addresses unless the host is allowlisted.
 *
 * @param fileRoots      folders (absolute paths) under which file:// images may be read
 * @param storePrefixes  URI prefixes (s3://bucket/images/, hdfs://nn/data/) that may be read
 * @param httpEnabled    whether http(s) URIs may be fetched at all
 * @param httpHostAllowlist hosts that may be fetched even when they resolve to private addresses
 */
public record ImageUriPolicy(List<String> fileRoots, List<String> storePrefixes, boolean httpEnabled,
                             Set<String> httpHostAllowlist) implements Serializable {

    public ImageUriPolicy {
        fileRoots = fileRoots.stream().map(p -> Path.of(p).toAbsolutePath().normalize().toString()).toList();
        storePrefixes = List.copyOf(storePrefixes);
        httpHostAllowlist = Set.copyOf(httpHostAllowlist);
    }

    public static ImageUriPolicy filesUnder(List<Path> roots) {
        return new ImageUriPolicy(roots.stream().map(Path::toString).toList(), List.of(), false, Set.of());
    }

    /**
     * Checks the URI before any byte is read; a refusal says which rule it broke. A file URI is checked by its
     * real path, with every symbolic link resolved (a link inside an image folder that points outside it is
     * refused), and that real path is what to read.
     *
     * @return the URI to read: the file's real path for file URIs, {@code uriText} otherwise
     */
    public String check(String uriText) throws Refusal {
        URI uri;
        try {
            uri = new URI(uriText);
        } catch (URISyntaxException e) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "image URI is malformed: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "file" -> {
                return checkFile(uri).toUri().toString();
            }
            case "http", "https" -> checkHttp(uri);
            case "" -> throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED,
                    "image URI '" + uriText + "' has no scheme (use file://, s3://, ...)");
            default -> checkStore(uriText, scheme);
        }
        return uriText;
    }

    private Path checkFile(URI uri) throws Refusal {
        Path path;
        try {
            path = Paths.get(uri).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "file URI '" + uri + "' is not a local path: " + e.getMessage());
        }
        if (!under(path, false)) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "file " + path + " is outside the allowed image folders "
                    + fileRoots + " (add one with --image-root)");
        }
        if (!java.nio.file.Files.exists(path)) {
            return path; // nothing to read (or a dangling link, which the reader does not follow): fails when read
        }
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "cannot resolve image " + path + ": " + e, e);
        }
        if (!under(real, true)) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "file " + path + " is a link to " + real
                    + ", outside the allowed image folders " + fileRoots);
        }
        return real;
    }

    /** Whether {@code path} lies under an image folder (by its real path, links resolved, when {@code real}). */
    private boolean under(Path path, boolean real) {
        for (String root : fileRoots) {
            Path folder = Path.of(root);
            if (real) {
                try {
                    folder = folder.toRealPath();
                } catch (IOException e) {
                    continue; // a folder that does not exist holds no file
                }
            }
            if (path.startsWith(folder)) {
                return true;
            }
        }
        return false;
    }

    private void checkStore(String uriText, String scheme) throws Refusal {
        for (String prefix : storePrefixes) {
            if (uriText.startsWith(prefix)) {
                return;
            }
        }
        throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, scheme + " URI '" + uriText
                + "' is under no allowed prefix " + storePrefixes + " (add one with --image-prefix)");
    }

    private void checkHttp(URI uri) throws Refusal {
        if (!httpEnabled) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "http(s) image URIs are disabled (enable with --allow-http-images): " + uri);
        }
        String host = host(uri);
        if (host == null) {
            throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "http URI has no host: " + uri);
        }
        if (httpHostAllowlist.contains(host.toLowerCase(Locale.ROOT))) {
            return;
        }
        InetAddress[] addresses;
        try {
            addresses = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            throw new Refusal(Reason.IMAGE_URI_UNREACHABLE, "host of image URI does not resolve: " + host);
        }
        for (InetAddress address : addresses) {
            if (isInternal(address)) {
                throw new Refusal(Reason.IMAGE_URI_NOT_ALLOWED, "image host " + host + " resolves to internal address "
                        + address.getHostAddress() + " (allowlist the host to permit it)");
            }
        }
    }

    /**
     * The host of an http(s) URI. java.net.URI gives none for authorities it cannot parse as a server name, such
     * as the shortened IPv4 forms {@code 127.1} or {@code 2130706433}, which resolvers still take: those are read
     * from the authority (user info and port removed) and resolved like any other host.
     */
    private static String host(URI uri) {
        if (uri.getHost() != null) {
            return uri.getHost();
        }
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isBlank()) {
            return null;
        }
        String host = authority.substring(authority.lastIndexOf('@') + 1);
        if (!host.startsWith("[") && host.lastIndexOf(':') >= 0) {
            host = host.substring(0, host.lastIndexOf(':'));
        }
        return host.isBlank() ? null : host;
    }

    static boolean isInternal(InetAddress a) {
        if (a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress() || a.isAnyLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        // IPv6 unique local addresses fc00::/7 and IPv4 carrier-grade NAT 100.64.0.0/10
        return b.length == 16 && (b[0] & 0xFE) == 0xFC
                || b.length == 4 && (b[0] & 0xFF) == 100 && (b[1] & 0xC0) == 64;
    }
}
