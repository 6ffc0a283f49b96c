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

    /** The files to mount, each led by an entry that matches no key, so that an empty list still admits no one. */
    public PortPinnedCerts render(String namespace, String cluster) {
        return new PortPinnedCerts(leafnodes == null ? null : render("leafnode", leafnodes, namespace, cluster),
                gateway == null ? null : render("gateway", gateway, namespace, cluster));
    }

    /** Reads back the files as written (the last good lists, e.g. after the operator restarted); a port in use with no file: none. */
    public static PortPins parse(Map<String, String> configData, NatsClusterSpec spec) {
        PortPins none = none(spec);
        return new PortPins(none.leafnodes == null ? null : parsed(configData.get(NatsConfig.LEAFNODE_PINNED_CERTS_FILE)),
                none.gateway == null ? null : parsed(configData.get(NatsConfig.GATEWAY_PINNED_CERTS_FILE)));
    }

    private static SortedSet<String> parsed(String file) {
        SortedSet<String> pins = new TreeSet<>();
        if (file == null) return pins;
        Matcher m = PIN.matcher(file);
        boolean first = true;
        while (m.find()) {
            if (!first) pins.add(m.group(1));
            first = false;
        }
        return pins;
    }

    private static String render(String port, SortedSet<String> pins, String namespace, String cluster) {
        StringBuilder c = new StringBuilder(pins.size() * 70 + 300);
        c.append("# Public keys (SPKI SHA-256) admitted on the ").append(port).append(" port of ").append(namespace).append('/').append(cluster)
                .append(":\n# the certificates the Puppet CA has signed and not revoked that carry a name this port admits or dials.\n")
                .append("# The first entry matches no key. nats-server reads this file only at start: a change rolls the brokers.\n");
        c.append("pinned_certs: [\n");
        c.append("  \"").append(Digests.sha256Hex("nats-operator " + port + " pinned_certs " + namespace + "/" + cluster)).append("\"\n");
        for (String pin : pins) c.append("  \"").append(pin).append("\"\n");
        c.append("]\n");
        return c.toString();
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
