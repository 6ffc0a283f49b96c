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
        return tls ? List.of(paths.configDir(), paths.routesDir(), paths.tlsDir()) : List.of(paths.configDir(), paths.routesDir());
    }

    /**
     * POSIX sh (busybox): checksum the watched directories' files every interval, reload on a
     * change. {@code ..data} symlinks are followed by cat, so an atomic Secret swap is seen.
     */
    public static String script(BrokerPaths paths, boolean tls) {
        String dirs = String.join(" ", watchedPaths(paths, tls).stream().map(d -> "'" + d + "'").toList());
        return """
                pidfile='%s'
                interval="${RELOAD_INTERVAL:-%d}"
                sum() { for d in %s; do cat "$d"/* 2>/dev/null; done | md5sum; }
                last=$(sum)
                while true; do
                  sleep "$interval"
                  now=$(sum)
                  if [ "$now" != "$last" ] && [ -s "$pidfile" ]; then
                    if nats-server --signal reload="$pidfile"; then
                      echo "config changed: broker reloaded"
                      last=$now
                    fi
                  fi
                done
                """.formatted(paths.pidFile(), DEFAULT_INTERVAL_SECONDS, dirs);
    }
}
