package io.choria.natsoperator.model;

import java.util.List;

/**
 * The config-reloader sidecar: a shell loop in the broker image that watches the mounted
 * config, routes and certificate and sends the broker a reload signal when they change
 * (Kubernetes updates mounted ConfigMaps and Secrets in place). Scaling (new routes) and
 * certificate renewal so reach running brokers without a restart. The pod shares its process
 * namespace, so the signal finds the broker through its pid file.
 */
public final class ConfigReloader {
    public static final String CONTAINER = "reloader";
    public static final int DEFAULT_INTERVAL_SECONDS = 5;

    private ConfigReloader() {}

    /** The watched files: everything nats.conf reads at reload. */
    static List<String> watchedPaths(BrokerPaths paths, boolean tls) {
        return watchedPaths(paths, tls, false);
    }

    static List<String> watchedPaths(BrokerPaths paths, boolean tls, boolean pinned) {
        List<String> dirs = new java.util.ArrayList<>(List.of(paths.configDir(), paths.routesDir()));
        if (tls) dirs.add(paths.tlsDir());
        if (pinned) dirs.add(paths.pinnedDir());
        return dirs;
    }

    public static String script(BrokerPaths paths, boolean tls) {
        return script(paths, tls, false);
    }

    /**
     * POSIX sh (busybox): checksum the watched directories' files every interval, reload on a
     * change. {@code ..data} symlinks are followed by cat, so an atomic Secret swap is seen.
     */
    public static String script(BrokerPaths paths, boolean tls, boolean pinned) {
        String dirs = String.join(" ", watchedPaths(paths, tls, pinned).stream().map(d -> "'" + d + "'").toList());
        // With the pinned list in parts: assemble it again when a part or the manifest changed (only a consistent set is
        // assembled, see PinnedListAssembler); the assembled file is then one of the watched files. Once more at the first
        // tick: the parts may have changed since the init container assembled them.
        String assemble = !pinned ? "" : """
                  parts=$(cat '%s'/* 2>/dev/null | md5sum)
                  if [ "$parts" != "$assembled" ] && assemble_pinned; then assembled=$parts; fi
                """.formatted(paths.pinnedPartsDir());
        return (pinned ? PinnedListAssembler.function(paths) + "assembled=\n" : "") + """
                pidfile='%s'
                interval="${RELOAD_INTERVAL:-%d}"
                sum() { for d in %s; do cat "$d"/* 2>/dev/null; done | md5sum; }
                last=$(sum)
                while true; do
                  sleep "$interval"
                %s  now=$(sum)
                  if [ "$now" != "$last" ] && [ -s "$pidfile" ]; then
                    if nats-server --signal reload="$pidfile"; then
                      echo "config changed: broker reloaded"
                      last=$now
                    fi
                  fi
                done
                """.formatted(paths.pidFile(), DEFAULT_INTERVAL_SECONDS, dirs, assemble);
    }
}
