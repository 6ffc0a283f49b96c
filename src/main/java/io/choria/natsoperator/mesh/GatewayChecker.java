package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntFunction;

/**
 * The {@code GatewaysConnected} check: asks every broker's {@code /gatewayz} ({@link BrokerAsks}) which sites it has a gateway to, and names each
 * listed remote site that some broker lacks. A site counts as connected at a broker when the
 * broker has an outbound gateway connection to it: NATS keeps one outbound gateway per remote
 * site on every broker, so "every broker has one" is the full supercluster as seen from here.
 */
public final class GatewayChecker {
    private final MonitorClient client;

    public GatewayChecker() {
        this(new MonitorClient());
    }

    public GatewayChecker(MonitorClient client) {
        this.client = client;
    }

    /** One broker's answer: its outbound gateways, or why it gave none. */
    public record BrokerGateways(String broker, Set<String> outbound, String error) {}

    /** What the check found; {@code connected} is the condition's status. */
    public record GatewayObservation(boolean connected, Reason reason, String message) {}

    /** {@code defaultedNc} must have spec.gateway. */
    public GatewayObservation check(NatsCluster defaultedNc, IntFunction<URI> monitorUriOfBroker) {
        List<BrokerGateways> views = BrokerAsks.each(client, defaultedNc, monitorUriOfBroker, client::gatewayzAsync).stream()
                .map(a -> new BrokerGateways(a.broker(), a.value() == null ? null : a.value().outbound(), a.error())).toList();
        List<String> expected = defaultedNc.getSpec().getGateway().getRemotes().stream().map(r -> r.getName()).toList();
        return judge(expected, views);
    }

    /**
     * Pure: unreachable brokers first, then each missing site with the brokers that lack it
     * ("site-c missing at site-a-0, site-a-1"), so the condition names the site that is gone.
     */
    public static GatewayObservation judge(List<String> expectedRemotes, List<BrokerGateways> views) {
        List<String> unreachable = new ArrayList<>();
        TreeMap<String, List<String>> missing = new TreeMap<>();
        for (BrokerGateways v : views) {
            if (v.outbound() == null) {
                unreachable.add(v.broker() + " did not answer /gatewayz: " + v.error());
                continue;
            }
            for (String remote : expectedRemotes) {
                if (!v.outbound().contains(remote)) missing.computeIfAbsent(remote, k -> new ArrayList<>()).add(v.broker());
            }
        }
        List<String> parts = new ArrayList<>();
        missing.forEach((site, brokers) -> parts.add(site + " missing at " + String.join(", ", brokers)));
        if (!unreachable.isEmpty()) {
            List<String> all = new ArrayList<>(unreachable);
            all.addAll(parts);
            return new GatewayObservation(false, Reason.BrokerUnreachable, String.join("; ", all));
        }
        if (!missing.isEmpty()) return new GatewayObservation(false, Reason.GatewayMissing, String.join("; ", parts));
        if (expectedRemotes.isEmpty()) return new GatewayObservation(true, Reason.AllGatewaysConnected, "no remote site listed");
        return new GatewayObservation(true, Reason.AllGatewaysConnected, "each of the " + views.size()
                + " brokers has a gateway to " + String.join(", ", new TreeSet<>(expectedRemotes)));
    }
}
