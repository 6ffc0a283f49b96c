package io.choria.natsoperator.model;

import java.util.List;
import java.util.Locale;

/**
 * Whether {@code spec.image} is known to lack {@code /bin/sh}. The pod runs shell commands: the
 * preStop hook ({@code sh -c "nats-server --signal ldm=... && sleep 5"}), the reloader sidecar
 * (a {@code sh} loop using {@code cat}, {@code md5sum}, {@code sleep} and {@code nats-server}) and
 * the sysctl init container when it runs the broker image. An image without them starts a broker
 * whose reloader crash-loops ({@code exec: "sh": executable file not found}) and whose shutdown
 * skips lame-duck mode.
 *
 * <p>A heuristic, since the operator never pulls images: the official {@code nats} image
 * ({@code nats}, {@code library/nats} or {@code docker/library/nats}, on Docker Hub or any
 * registry or mirror) is built {@code FROM scratch} in every Linux tag except the
 * {@code -alpine} ones. Its limits: a custom image that happens to be called {@code nats} and
 * has a shell is flagged (hence a warning, not a refusal); a shell-less image under another name,
 * or the official one pinned by digest alone ({@code nats@sha256:...}, the tag unknown), is not.
 */
public final class ImageShell {
    private static final List<String> OFFICIAL_PATHS = List.of("nats", "library/nats", "docker/library/nats");

    private ImageShell() {}

    /** True when {@code image} is the official nats image with a tag that is not an -alpine one. */
    public static boolean knownWithoutShell(String image) {
        if (image == null || image.isBlank()) return false;
        String ref = image.strip().toLowerCase(Locale.ROOT);
        int at = ref.indexOf('@');
        boolean digest = at >= 0;
        if (digest) ref = ref.substring(0, at);
        int slash = ref.lastIndexOf('/');
        int colon = ref.lastIndexOf(':');
        String tag = colon > slash ? ref.substring(colon + 1) : null;
        String name = colon > slash ? ref.substring(0, colon) : ref;
        if (tag == null && digest) return false; // pinned by digest only: the variant cannot be told
        if (!OFFICIAL_PATHS.contains(withoutRegistry(name))) return false;
        return tag == null || !tag.contains("alpine"); // no tag means latest: scratch-based
    }

    /** The repository path without a registry host (a first component with '.' or ':', or localhost). */
    static String withoutRegistry(String name) {
        int slash = name.indexOf('/');
        if (slash < 0) return name;
        String first = name.substring(0, slash);
        boolean registry = first.contains(".") || first.contains(":") || first.equals("localhost");
        return registry ? name.substring(slash + 1) : name;
    }
}
