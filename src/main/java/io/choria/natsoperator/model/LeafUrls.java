package io.choria.natsoperator.model;

import java.net.URI;
import java.net.URISyntaxException;

/** The host and port of a leaf node remote URL, as nats-server dials it (7422 when the URL has no port). */
public final class LeafUrls {
    private LeafUrls() {}

    public record HostPort(String host, int port) {
        @Override
        public String toString() { return Names.hostPort(host, port); }
    }

    /** {@code host:port} in lower case (so tls://HUB:7422 and nats://hub:7422 are the same hub), or null when not a URL with a host. */
    public static String hostPort(String url) {
        HostPort hp = parse(url);
        return hp == null ? null : hp.toString().toLowerCase(java.util.Locale.ROOT);
    }

    public static HostPort parse(String url) {
        try {
            URI u = new URI(url);
            if (u.getHost() == null) return null;
            String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
            return new HostPort(host, u.getPort() < 0 ? io.choria.natsoperator.api.LeafNodesSpec.DEFAULT_PORT : u.getPort());
        } catch (URISyntaxException | NullPointerException e) {
            return null;
        }
    }
}
