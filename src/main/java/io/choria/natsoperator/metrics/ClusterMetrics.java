package io.choria.natsoperator.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The per-cluster gauges on the operator's {@code /metrics}: the last {@link ClusterSnapshot} of
 * each NatsCluster, written by the reconciler, rendered in the Prometheus text format (0.0.4) by
 * hand at scrape time. By hand rather than as Micrometer gauges: the series come and go with
 * clusters and brokers, and ages (certificate expiry, revocation sync) are computed at the
 * scrape, not at the last reconcile. Series of a cluster that no longer exists are dropped at
 * the next scrape ({@link #liveness}); values are as fresh as the last reconcile (at most the
 * resync period, 60 s, old: {@code natscluster_last_observed_timestamp_seconds} says when).
 */
public final class ClusterMetrics {
    /** Every metric, in the order served. The chart's alerts and dashboard are tested against these names. */
    public enum Metric {
        BROKERS_DESIRED("natscluster_brokers_desired", "gauge", "Brokers the NatsCluster asks for (spec.size)."),
        BROKERS_READY("natscluster_brokers_ready", "gauge", "Brokers whose pod is ready (the StatefulSet's readyReplicas)."),
        ROUTES_MESHED("natscluster_routes_meshed", "gauge", "1 when every broker sees all its peers (RoutesMeshed=True), else 0; absent when not checked."),
        CERTIFICATE_EXPIRY("natscluster_certificate_expiry_seconds", "gauge", "Seconds until the served broker certificate expires (negative once expired)."),
        CERTIFICATE_RENEW_BEFORE("natscluster_certificate_renew_before_seconds", "gauge", "The renewal window (spec.tls.renewBeforeDays) in seconds."),
        CERTIFICATE_READY("natscluster_certificate_ready", "gauge", "1 when CertificateReady=True (issuance or renewal working), else 0."),
        REVOCATION_SYNC_AGE("natscluster_revocation_sync_age_seconds", "gauge", "Seconds since the last successful sync with the Puppet CA's inventory (enrolment with enforceRevocation)."),
        REVOCATION_MAX_SYNC_AGE("natscluster_revocation_max_sync_age_seconds", "gauge", "The limit on natscluster_revocation_sync_age_seconds"
                + " (spec.tls.puppet.maxSyncAgeSeconds): past it RevocationEnforced says RevocationListTooOld; the chart's alert compares the two."),
        REVOCATION_ADMITTED("natscluster_revocation_admitted_certificates", "gauge", "Certificate keys in the brokers' pinned_certs allow-list after the last sync."),
        CAPACITY_NODES_PER_BROKER("natscluster_capacity_nodes_per_broker", "gauge", "Nodes each broker is sized for (spec.capacity.nodesPerBroker); absent without it."),
        LAST_OBSERVED("natscluster_last_observed_timestamp_seconds", "gauge", "When the operator last observed this NatsCluster (Unix time)."),
        BROKER_UP("natscluster_broker_up", "gauge", "1 when the broker answered the operator's /varz request, 0 when it did not."),
        BROKER_ROUTE_PEERS("natscluster_broker_route_peers", "gauge", "Distinct peers the broker has routes to (/varz remotes)."),
        BROKER_ROUTE_PEERS_EXPECTED("natscluster_broker_route_peers_expected", "gauge", "Peers the broker should see in a full mesh (size-1)."),
        BROKER_CONNECTIONS("natscluster_broker_connections", "gauge", "Client connections of the broker (/varz connections)."),
        BROKER_MAX_CONNECTIONS("natscluster_broker_max_connections", "gauge", "The broker's max_connections (/varz)."),
        BROKER_SLOW_CONSUMERS("natscluster_broker_slow_consumers_total", "counter", "Slow consumers the broker has seen since it started (/varz slow_consumers; resets on restart)."),
        BROKER_MEMORY("natscluster_broker_memory_bytes", "gauge", "Resident memory of the broker process (/varz mem)."),
        BROKER_STORE("natscluster_broker_jetstream_store_bytes", "gauge", "The broker's JetStream file store in use (/varz jetstream; spec.streams only)."),
        BROKER_STORE_LIMIT("natscluster_broker_jetstream_store_limit_bytes", "gauge", "The broker's max_file_store: 90 % of its volume (spec.streams only)."),
        STREAM_MESSAGES("natscluster_stream_messages", "gauge", "Messages in one of Choria's streams (spec.streams; label stream)."),
        STREAM_BYTES("natscluster_stream_bytes", "gauge", "Bytes in one of Choria's streams, one replica's worth."),
        STREAM_REPLICAS("natscluster_stream_replicas", "gauge", "Replicas the stream is configured with (spec.streams.replicas)."),
        STREAM_REPLICAS_CURRENT("natscluster_stream_replicas_current", "gauge", "Replicas with a leader and current with it: below natscluster_stream_replicas, the stream is behind.");

        public final String metricName;
        final String type;
        final String help;

        Metric(String metricName, String type, String help) {
            this.metricName = metricName;
            this.type = type;
            this.help = help;
        }
    }

    private final Map<String, ClusterSnapshot> clusters = new ConcurrentHashMap<>();
    private final Clock clock;
    private volatile Predicate<ClusterSnapshot> liveness = s -> true;

    public ClusterMetrics(Clock clock) {
        this.clock = clock;
    }

    public ClusterMetrics() {
        this(Clock.systemUTC());
    }

    private static String key(String namespace, String name) {
        return namespace + "/" + name;
    }

    public void update(ClusterSnapshot s) {
        clusters.put(key(s.namespace(), s.name()), s);
    }

    public void forget(String namespace, String name) {
        clusters.remove(key(namespace, name));
    }

    /**
     * Whether a snapshot's NatsCluster still exists (the reconciler's primary cache, same uid). The
     * operator has no finalizer, so it sees no delete: this is how a deleted cluster's series go.
     */
    public void liveness(Predicate<ClusterSnapshot> stillExists) {
        this.liveness = stillExists;
    }

    /** The Prometheus text of every live cluster's series. */
    public String render() {
        Instant now = clock.instant();
        List<ClusterSnapshot> live = new ArrayList<>();
        for (ClusterSnapshot s : clusters.values()) {
            if (liveness.test(s)) {
                live.add(s);
            } else {
                clusters.remove(key(s.namespace(), s.name()), s);
            }
        }
        live.sort(Comparator.comparing(ClusterSnapshot::namespace).thenComparing(ClusterSnapshot::name));
        StringBuilder out = new StringBuilder(1024 + live.size() * 2048);
        cluster(out, Metric.BROKERS_DESIRED, live, s -> (double) s.desired());
        cluster(out, Metric.BROKERS_READY, live, s -> (double) s.ready());
        cluster(out, Metric.ROUTES_MESHED, live, s -> s.meshed() == null ? null : s.meshed() ? 1.0 : 0.0);
        cluster(out, Metric.CERTIFICATE_EXPIRY, live, s -> s.certificateNotAfter() == null ? null
                : (double) Duration.between(now, s.certificateNotAfter()).toSeconds());
        cluster(out, Metric.CERTIFICATE_RENEW_BEFORE, live, s -> s.renewBefore() == null ? null : (double) s.renewBefore().toSeconds());
        cluster(out, Metric.CERTIFICATE_READY, live, s -> s.certificateReady() == null ? null : s.certificateReady() ? 1.0 : 0.0);
        cluster(out, Metric.REVOCATION_SYNC_AGE, live, s -> s.revocationLastSync() == null ? null
                : (double) Math.max(0, Duration.between(s.revocationLastSync(), now).toSeconds()));
        cluster(out, Metric.REVOCATION_MAX_SYNC_AGE, live, s -> s.revocationMaxSyncAge() == null ? null : (double) s.revocationMaxSyncAge().toSeconds());
        cluster(out, Metric.REVOCATION_ADMITTED, live, s -> s.revocationAdmitted() == null ? null : (double) s.revocationAdmitted());
        cluster(out, Metric.CAPACITY_NODES_PER_BROKER, live, s -> s.capacityNodesPerBroker() == null ? null : (double) s.capacityNodesPerBroker());
        cluster(out, Metric.LAST_OBSERVED, live, s -> s.observedAt().toEpochMilli() / 1000.0);
        broker(out, Metric.BROKER_UP, live, b -> b.up() ? 1.0 : 0.0);
        // A broker that did not answer has no figures: its series are left out, not zeroed.
        broker(out, Metric.BROKER_ROUTE_PEERS, live, b -> b.up() ? (double) b.routePeers() : null);
        broker(out, Metric.BROKER_ROUTE_PEERS_EXPECTED, live, b -> (double) b.expectedPeers());
        broker(out, Metric.BROKER_CONNECTIONS, live, b -> b.up() ? (double) b.connections() : null);
        broker(out, Metric.BROKER_MAX_CONNECTIONS, live, b -> b.up() ? (double) b.maxConnections() : null);
        broker(out, Metric.BROKER_SLOW_CONSUMERS, live, b -> b.up() ? (double) b.slowConsumers() : null);
        broker(out, Metric.BROKER_MEMORY, live, b -> b.up() ? (double) b.memBytes() : null);
        broker(out, Metric.BROKER_STORE, live, b -> b.up() && b.storeLimitBytes() > 0 ? (double) b.storeBytes() : null);
        broker(out, Metric.BROKER_STORE_LIMIT, live, b -> b.up() && b.storeLimitBytes() > 0 ? (double) b.storeLimitBytes() : null);
        // The mesh observation this snapshot was made with: one series per stream of a cluster with spec.streams.
        stream(out, Metric.STREAM_MESSAGES, live, st -> (double) st.messages());
        stream(out, Metric.STREAM_BYTES, live, st -> (double) st.bytes());
        stream(out, Metric.STREAM_REPLICAS, live, st -> (double) st.replicas());
        stream(out, Metric.STREAM_REPLICAS_CURRENT, live, st -> (double) st.current());
        return out.toString();
    }

    private static void header(StringBuilder out, Metric m) {
        out.append("# HELP ").append(m.metricName).append(' ').append(m.help).append('\n');
        out.append("# TYPE ").append(m.metricName).append(' ').append(m.type).append('\n');
    }

    private static void cluster(StringBuilder out, Metric m, List<ClusterSnapshot> live, Function<ClusterSnapshot, Double> value) {
        header(out, m);
        for (ClusterSnapshot s : live) {
            Double v = value.apply(s);
            if (v != null) sample(out, m, s, null, v);
        }
    }

    private static void broker(StringBuilder out, Metric m, List<ClusterSnapshot> live, Function<ClusterSnapshot.Broker, Double> value) {
        header(out, m);
        for (ClusterSnapshot s : live) {
            for (ClusterSnapshot.Broker b : s.brokers()) {
                Double v = value.apply(b);
                if (v != null) sample(out, m, s, b.pod(), v);
            }
        }
    }

    private static void stream(StringBuilder out, Metric m, List<ClusterSnapshot> live, Function<ClusterSnapshot.Stream, Double> value) {
        header(out, m);
        for (ClusterSnapshot s : live) {
            for (ClusterSnapshot.Stream st : s.streams()) sample(out, m, s, "stream", st.name(), value.apply(st));
        }
    }

    private static void sample(StringBuilder out, Metric m, ClusterSnapshot s, String pod, double v) {
        sample(out, m, s, "pod", pod, v);
    }

    /** One sample: the cluster's labels and, when {@code value} is not null, one more ({@code pod} or {@code stream}). */
    private static void sample(StringBuilder out, Metric m, ClusterSnapshot s, String label, String value, double v) {
        out.append(m.metricName).append("{namespace=\"").append(escape(s.namespace())).append("\",natscluster=\"").append(escape(s.name()));
        if (value != null) out.append("\",").append(label).append("=\"").append(escape(value));
        out.append("\"} ").append(format(v)).append('\n');
    }

    private static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /** The text format's label-value escapes (names come from the API server, but be exact). */
    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
