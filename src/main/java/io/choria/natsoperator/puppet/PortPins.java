package io.choria.natsoperator.puppet;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.pki.Digests;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The keys admitted on the leafnode and gateway ports. Those ports check names (the edges
 * {@code spec.leafnodes.edges} lists, the hosts of the gateway URLs), and a revoked certificate
 * still carries its name; so each port also pins the keys of the certificates the Puppet CA lists
 * as signed and not revoked that carry one of those names. nats-server applies a port's list to the
 * connections it dials too (leafnode remotes, outbound gateways), so the hosts dialled count as well.
 * A changed list rolls the brokers (nats-server reads it only at start), which also closes the
 * connections of a dropped key. {@code null} for a port not in use.
 */
public record PortPins(SortedSet<String> leafnodes, SortedSet<String> gateway) {
    private static final Pattern PIN = Pattern.compile("\"([0-9a-f]{64})\"");

    public PortPins {
        leafnodes = leafnodes == null ? null : new TreeSet<>(leafnodes);
        gateway = gateway == null ? null : new TreeSet<>(gateway);
    }

    /** Before the first sync (and with no list written yet): each port in use admits no one (fail closed). */
    public static PortPins none(NatsClusterSpec spec) {
        return new PortPins(leafAccepting(spec) ? new TreeSet<>() : null, spec.getGateway() != null ? new TreeSet<>() : null);
    }

    /** From a sync: the admitted keys whose certificates carry a name the port admits or a host it dials. */
    public static PortPins of(NatsClusterSpec spec, Names names, Map<String, Set<String>> namesByKey) {
        SortedSet<String> leaf = null, gateway = null;
        if (leafAccepting(spec)) {
            Set<String> edges = Set.copyOf(spec.getLeafnodes().getEdges());
            List<String> dialled = hosts(spec.getLeafnodes().getRemotes().stream().flatMap(r -> r.getUrls().stream()).toList());
            leaf = keysCarrying(namesByKey, n -> edges.contains(n) || dialled.stream().anyMatch(h -> CertificateNames.covers(n, h)));
        }
        if (spec.getGateway() != null) {
            List<String> urls = new ArrayList<>();
            for (GatewayRemote r : spec.getGateway().getRemotes()) urls.addAll(NatsConfig.remoteUrls(names, r));
            List<String> sites = hosts(urls);
            gateway = keysCarrying(namesByKey, n -> sites.stream().anyMatch(h -> CertificateNames.covers(n, h)));
        }
        return new PortPins(leaf, gateway);
    }

    /** The values for the broker's environment, each led by an entry that matches no key, so that an empty list still admits no one. */
    public PortPinnedCerts render(String namespace, String cluster) {
        return new PortPinnedCerts(leafnodes == null ? null : render("leafnode", leafnodes, namespace, cluster),
                gateway == null ? null : render("gateway", gateway, namespace, cluster));
    }

    /**
     * Reads back the lists as written in the brokers' environment ({@code env}: variable name to value; the last
     * good lists, e.g. after the operator restarted); a port in use without its variable: none.
     */
    public static PortPins parse(Map<String, String> env, NatsClusterSpec spec) {
        PortPins none = none(spec);
        return new PortPins(none.leafnodes == null ? null : parsed(env.get(NatsConfig.LEAFNODE_PINNED_CERTS_ENV)),
                none.gateway == null ? null : parsed(env.get(NatsConfig.GATEWAY_PINNED_CERTS_ENV)));
    }

    private static SortedSet<String> parsed(String value) {
        SortedSet<String> pins = new TreeSet<>();
        if (value == null) return pins;
        Matcher m = PIN.matcher(value);
        boolean first = true;
        while (m.find()) {
            if (!first) pins.add(m.group(1));
            first = false;
        }
        return pins;
    }

    /** A nats.conf array on one line; nats-server parses it from the environment as it would in the file. */
    private static String render(String port, SortedSet<String> pins, String namespace, String cluster) {
        StringBuilder c = new StringBuilder(pins.size() * 67 + 70);
        c.append("[\"").append(Digests.sha256Hex("nats-operator " + port + " pinned_certs " + namespace + "/" + cluster)).append('"');
        for (String pin : pins) c.append(",\"").append(pin).append('"');
        return c.append(']').toString();
    }

    private static boolean leafAccepting(NatsClusterSpec spec) {
        return spec.getLeafnodes() != null && spec.getLeafnodes().accepting();
    }

    private static SortedSet<String> keysCarrying(Map<String, Set<String>> namesByKey, java.util.function.Predicate<String> admits) {
        SortedSet<String> keys = new TreeSet<>();
        namesByKey.forEach((key, names) -> {
            if (names.stream().anyMatch(admits)) keys.add(key);
        });
        return keys;
    }

    private static List<String> hosts(List<String> urls) {
        List<String> hosts = new ArrayList<>();
        for (String url : urls) {
            try {
                String host = URI.create(url).getHost();
                if (host != null) hosts.add(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
            } catch (IllegalArgumentException e) {
                // the validator refuses such URLs before they get here
            }
        }
        return hosts;
    }
}
