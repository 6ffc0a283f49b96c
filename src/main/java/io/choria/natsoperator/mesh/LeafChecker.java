package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.LeafUrls;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The {@code LeafNodesConnected} check, from every broker's {@code /leafz}. nats-server 2.9.10 lists
 * a leaf connection only by the peer's address and port (no name, no direction), so a configured
 * remote counts as connected at a broker when one of its connections goes to an address of one of
 * the remote's URLs, on that URL's port: a dialled connection's peer is the hub's listener, an
 * accepted one comes from an ephemeral port. The URLs' host names are resolved by the operator,
 * which sits in the same cluster DNS as the brokers; a name it cannot resolve counts as missing,
 * with the reason.
 */
public final class LeafChecker {
    private final MonitorClient client;
    private final Function<String, Set<String>> resolver;

    public LeafChecker() {
        this(new MonitorClient(), LeafChecker::resolve);
    }

    /** {@code resolver}: host name to its IP addresses (empty when unknown); tests give their private hosts. */
    public LeafChecker(MonitorClient client, Function<String, Set<String>> resolver) {
        this.client = client;
        this.resolver = resolver;
    }

    /** One broker's leaf connections, or why it gave none. */
    public record BrokerLeafs(String broker, List<MonitorClient.LeafConnection> connections, String error) {}

    public record LeafObservation(boolean connected, Reason reason, String message) {}

    /** {@code defaultedNc} must have spec.leafnodes. */
    public LeafObservation check(NatsCluster defaultedNc, IntFunction<URI> monitorUriOfBroker) {
        List<BrokerLeafs> views = BrokerAsks.each(client, defaultedNc, monitorUriOfBroker, client::leafzAsync).stream()
                .map(a -> new BrokerLeafs(a.broker(), a.value() == null ? null : a.value().connections(), a.error())).toList();
        LeafNodesSpec leaf = defaultedNc.getSpec().getLeafnodes();
        Map<String, Set<String>> addresses = new HashMap<>();
        for (var r : leaf.getRemotes()) {
            for (String url : r.getUrls()) {
                var hp = LeafUrls.parse(url);
                if (hp != null) addresses.computeIfAbsent(hp.host(), resolver);
            }
        }
        return judge(leaf.getRemotes().stream().map(r -> r.getUrls()).toList(), addresses, views);
    }

    /**
     * Pure: unreachable brokers first, then each remote some broker lacks, by index and first URL
     * ("remotes[0] (tls://hub:7422) missing at edge-0"); when all is well, how many leaf
     * connections each broker holds.
     */
    public static LeafObservation judge(List<List<String>> remotes, Map<String, Set<String>> addresses, List<BrokerLeafs> views) {
        List<String> unreachable = new ArrayList<>();
        Map<Integer, List<String>> missing = new java.util.TreeMap<>();
        List<String> counts = new ArrayList<>();
        for (BrokerLeafs v : views) {
            if (v.connections() == null) {
                unreachable.add(v.broker() + " did not answer /leafz: " + v.error());
                continue;
            }
            counts.add(v.broker() + " " + v.connections().size());
            for (int i = 0; i < remotes.size(); i++) {
                if (!connected(remotes.get(i), addresses, v.connections())) missing.computeIfAbsent(i, k -> new ArrayList<>()).add(v.broker());
            }
        }
        List<String> parts = new ArrayList<>();
        missing.forEach((i, brokers) -> parts.add("remotes[" + i + "] (" + remotes.get(i).get(0) + ") missing at " + String.join(", ", brokers)
                + unresolved(remotes.get(i), addresses)));
        if (!unreachable.isEmpty()) {
            List<String> all = new ArrayList<>(unreachable);
            all.addAll(parts);
            return new LeafObservation(false, Reason.BrokerUnreachable, String.join("; ", all));
        }
        if (!missing.isEmpty()) return new LeafObservation(false, Reason.LeafRemoteMissing, String.join("; ", parts));
        String held = "leaf node connections: " + String.join(", ", counts);
        if (remotes.isEmpty()) return new LeafObservation(true, Reason.LeafNodesAccepting, held);
        return new LeafObservation(true, Reason.AllLeafRemotesConnected, "each of the " + views.size() + " brokers is connected to the "
                + remotes.size() + " remote" + (remotes.size() == 1 ? "" : "s") + "; " + held);
    }

    /** Why the operator could not match a remote: none of its hosts resolves here. */
    private static String unresolved(List<String> urls, Map<String, Set<String>> addresses) {
        List<String> hosts = new ArrayList<>();
        for (String url : urls) {
            var hp = LeafUrls.parse(url);
            if (hp != null && addresses.getOrDefault(hp.host(), Set.of()).isEmpty()) hosts.add(hp.host());
        }
        return hosts.isEmpty() ? "" : " (the operator cannot resolve " + String.join(", ", hosts) + ")";
    }

    private static boolean connected(List<String> urls, Map<String, Set<String>> addresses, List<MonitorClient.LeafConnection> conns) {
        for (String url : urls) {
            var hp = LeafUrls.parse(url);
            if (hp == null) continue;
            Set<String> ips = addresses.getOrDefault(hp.host(), Set.of());
            for (var c : conns) if (c.port() == hp.port() && ips.contains(c.ip())) return true;
        }
        return false;
    }

    /** The host's addresses by the JVM's resolver (an IP literal is itself); empty when it does not resolve. */
    public static Set<String> resolve(String host) {
        try {
            Set<String> ips = new TreeSet<>();
            for (InetAddress a : InetAddress.getAllByName(host)) ips.add(a.getHostAddress());
            return ips;
        } catch (UnknownHostException e) {
            return Set.of();
        }
    }
}
