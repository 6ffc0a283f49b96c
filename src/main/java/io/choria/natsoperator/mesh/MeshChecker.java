package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.Names;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The {@code RoutesMeshed} check: asks every broker's {@code /varz} how many distinct peers it
 * has routes to ({@code remotes}) and calls the cluster meshed when each of the {@code size}
 * brokers sees {@code size-1}. The brokers are asked in parallel, each request (connect to the
 * body's last byte) bounded by the {@link MonitorClient}'s timeout and its body by
 * {@link MonitorClient#MAX_BODY_BYTES}, so one check takes at most about two timeouts (/varz, and
 * /routez from a server too old to say {@code remotes}); a broker
 * over either limit counts as unreachable ({@code BrokerUnreachable}) with the limit in the message.
 */
public final class MeshChecker {
    private final MonitorClient client;

    public MeshChecker() {
        this(new MonitorClient());
    }

    public MeshChecker(MonitorClient client) {
        this.client = client;
    }

    /** In production: broker i's monitoring endpoint through its stable DNS name, {@code http://<pod>.<name>-headless.<ns>.svc.<domain>:<monitor>}. */
    public static IntFunction<URI> podMonitorUris(NatsCluster defaultedNc, String clusterDomain) {
        return podMonitorUris(defaultedNc, clusterDomain, host -> host);
    }

    /** The same, with the DNS name translated by {@code resolve} (where the JVM cannot resolve the cluster's names). */
    public static IntFunction<URI> podMonitorUris(NatsCluster defaultedNc, String clusterDomain, java.util.function.UnaryOperator<String> resolve) {
        Names names = Names.of(defaultedNc, clusterDomain);
        int port = defaultedNc.getSpec().getPorts().getMonitor();
        return i -> URI.create("http://" + Names.hostPort(resolve.apply(names.podFqdn(i)), port));
    }

    /** One broker's answer: its peer count, or why it gave none; {@code varz} is the whole answer (null when none), for the metrics. */
    public record BrokerView(String broker, Integer remotes, String error, java.time.Instant configLoadTime, MonitorClient.Varz varz) {
        public BrokerView(String broker, Integer remotes, String error) {
            this(broker, remotes, error, null, null);
        }
    }

    /**
     * One look at every broker. A full mesh seen once is not yet proof: nats-server counts a peer in
     * {@code remotes} as soon as its INFO arrives, before the route is authorized, so a peer with a
     * wrong route password flickers in and out; {@link MeshPoller} publishes a full mesh only when
     * the look before agreed.
     *
     * @param defaultedNc       a NatsCluster after {@code SpecDefaults.withDefaults}
     * @param monitorUriOfBroker the monitoring base URI of broker {@code i} (0..size-1)
     */
    public MeshObservation check(NatsCluster defaultedNc, IntFunction<URI> monitorUriOfBroker) {
        return judge(defaultedNc.getSpec().getSize(), views(defaultedNc, monitorUriOfBroker));
    }

    public List<BrokerView> views(NatsCluster defaultedNc, IntFunction<URI> monitorUriOfBroker) {
        return BrokerAsks.each(client, defaultedNc, monitorUriOfBroker, client::varzAsync).stream()
                .map(a -> a.error() != null ? new BrokerView(a.broker(), null, a.error())
                        : new BrokerView(a.broker(), a.value().remotes(), null, a.value().configLoadTime(), a.value()))
                .toList();
    }

    /** The earliest configuration load among the brokers: every broker has loaded what was written before it. */
    static java.time.Instant oldestConfigLoad(List<BrokerView> views) {
        java.time.Instant oldest = null;
        for (BrokerView v : views) {
            if (v.configLoadTime() == null) return null;
            if (oldest == null || v.configLoadTime().isBefore(oldest)) oldest = v.configLoadTime();
        }
        return oldest;
    }

    /** Pure: the observation for these answers. Unreachable brokers first, then missing peers, then extra peers. */
    public static MeshObservation judge(int size, List<BrokerView> views) {
        int expected = size - 1;
        List<String> unreachable = new ArrayList<>(), incomplete = new ArrayList<>(), extra = new ArrayList<>();
        for (BrokerView v : views) {
            if (v.remotes() == null) {
                unreachable.add(v.broker() + " did not answer /varz: " + v.error());
            } else if (v.remotes() < expected) {
                incomplete.add(v.broker() + " sees " + v.remotes() + " of " + expected + " peers");
            } else if (v.remotes() > expected) {
                extra.add(v.broker() + " sees " + v.remotes() + " peers, expected " + expected);
            }
        }
        if (!unreachable.isEmpty()) {
            List<String> all = new ArrayList<>(unreachable);
            all.addAll(incomplete);
            return new MeshObservation(false, Reason.BrokerUnreachable, String.join("; ", all), null, views);
        }
        if (!incomplete.isEmpty()) return new MeshObservation(false, Reason.RoutesIncomplete, String.join("; ", incomplete), null, views);
        if (!extra.isEmpty()) return new MeshObservation(false, Reason.UnexpectedPeers, String.join("; ", extra), null, views);
        return new MeshObservation(true, Reason.FullMesh, size == 1
                ? "single broker, no routes needed"
                : "each of the " + size + " brokers sees " + expected + " peers", oldestConfigLoad(views), views);
    }
}
