package io.choria.natsoperator.model;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.LimitsSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.TlsSpec;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Renders the broker configuration. It comes in two files because the route URLs must carry
 * the password ({@code user:password@host}: nats-server 2.9 refuses an explicit route
 * without credentials even when the cluster authorization holds them):
 * {@code nats.conf} holds no secret and lives in a ConfigMap; {@code routes.conf}, included
 * inside the {@code cluster} block, holds the authorization and the routes and lives in a Secret.
 */
public final class NatsConfig {
    public static final String CONFIG_FILE = "nats.conf";
    public static final String ROUTES_FILE = "routes.conf";
    /**
     * The Puppet inventory's public keys (see puppet.PinnedKeys): the pod assembles the file from the parts of the list
     * ({@link PinnedList}, {@link PinnedListAssembler}) into {@link BrokerPaths#pinnedDir()}, and nats.conf includes it.
     */
    public static final String PINNED_CERTS_FILE = "pinned_certs.conf";
    /**
     * The keys admitted on the leafnode and gateway ports (see puppet.PortPins), as nats.conf arrays in the broker's
     * environment: nats-server parses a {@code $VAR} from the environment as a value (conf/parse.go, 2.9.10 and 2.10.x).
     */
    public static final String LEAFNODE_PINNED_CERTS_ENV = "LEAFNODE_PINNED_CERTS";
    public static final String GATEWAY_PINNED_CERTS_ENV = "GATEWAY_PINNED_CERTS";
    public static final String ROUTE_USER = "route";
    /** The pod name, set from the downward API, so server_name follows the pod. */
    public static final String POD_NAME_ENV = "POD_NAME";
    /**
     * {@code spec.serverNamePrefix} + the pod name, composed by the kubelet ({@code $(POD_NAME)}):
     * nats.conf resolves {@code $VAR} only as a whole value, never inside a string.
     */
    public static final String SERVER_NAME_ENV = "SERVER_NAME";

    private NatsConfig() {}

    public static String mainConfig(Names names, NatsClusterSpec spec, BrokerPaths paths) {
        return mainConfig(names, spec, paths, false, PortPinnedCerts.NONE);
    }

    /**
     * {@code pinned}: admit on the client port only the public keys listed in pinned_certs.conf (Puppet enrolment);
     * {@code ports}: likewise on the leafnode and gateway ports, each from its environment variable.
     */
    public static String mainConfig(Names names, NatsClusterSpec spec, BrokerPaths paths, boolean pinned, PortPinnedCerts ports) {
        LimitsSpec limits = spec.getLimits();
        StringBuilder c = new StringBuilder();
        c.append("# nats.conf for NatsCluster ").append(names.namespace()).append('/').append(names.cluster())
                .append(", rendered by nats-operator. Holds no secret: the routes and their\n")
                .append("# password are included from a Secret.\n");
        boolean prefixed = spec.getServerNamePrefix() != null && !spec.getServerNamePrefix().isEmpty();
        c.append("server_name: $").append(prefixed ? SERVER_NAME_ENV : POD_NAME_ENV).append('\n');
        if (paths.listenHost() != null) {
            c.append("host: ").append(quote(paths.listenHost())).append('\n');
            c.append("http: ").append(quote(Names.hostPort(paths.listenHost(), spec.getPorts().getMonitor()))).append('\n');
        } else {
            c.append("http_port: ").append(spec.getPorts().getMonitor()).append('\n');
        }
        c.append("port: ").append(spec.getPorts().getClient()).append('\n');
        c.append("pid_file: ").append(quote(paths.pidFile())).append('\n');
        c.append("max_connections: ").append(BrokerCapacity.maxConnections(spec)).append('\n');
        c.append("write_deadline: ").append(quote(limits.getWriteDeadline())).append('\n');
        c.append("lame_duck_duration: ").append(quote(limits.getLameDuckDuration())).append('\n');
        c.append("lame_duck_grace_period: \"10s\"\n");
        TlsSpec tls = spec.getTls();
        if (tls != null) {
            c.append("tls {\n");
            tlsBody(c, paths, Boolean.TRUE.equals(tls.getVerifyClients()), tls.getHandshakeTimeoutSeconds(), "  ");
            // A broker that starts more handshakes than its CPU finishes in the clients' 2 s finishes none
            // (docs/BENCHMARKS.md, reconnect storms); the ones over the limit get -ERR before any TLS work.
            Integer rate = tls.getConnectionRateLimit();
            if (rate != null) c.append("  connection_rate_limit: ").append(rate).append('\n');
            // Routes are not pinned: brokers prove themselves with the route password and the CA.
            // include is relative to nats.conf's directory (conf/parse.go: filepath.Join), as the routes below.
            if (pinned) c.append("  include \"../pinned/").append(PINNED_CERTS_FILE).append("\"\n");
            // spec.authorization: each certificate is the user its name maps to (users.conf, below), with that user's
            // permissions; a certificate that maps to no user is refused (no_auth_user never applies to it).
            if (pinned && ChoriaPermissions.enabled(spec)) c.append("  verify_and_map: true\n");
            c.append("}\n");
        }
        c.append("cluster {\n");
        c.append("  name: ").append(quote(clusterName(names, spec))).append('\n');
        if (paths.listenHost() != null) c.append("  host: ").append(quote(paths.listenHost())).append('\n');
        c.append("  port: ").append(spec.getPorts().getCluster()).append('\n');
        // Clients outside Kubernetes cannot reach pod addresses; never gossip them.
        c.append("  no_advertise: true\n");
        if (tls != null) {
            c.append("  tls {\n");
            tlsBody(c, paths, true, tls.getHandshakeTimeoutSeconds(), "    ");
            c.append("  }\n");
        }
        c.append("  include \"../routes/").append(ROUTES_FILE).append("\"\n");
        c.append("}\n");
        c.append(gatewayBlock(names, spec, paths, ports.gateway() != null));
        c.append(leafNodesBlock(spec, paths, ports.leafnodes() != null));
        c.append(ChoriaAccounts.enabled(spec) ? ChoriaAccounts.mainConfigPart(spec, paths) : systemAccount(spec));
        // With Choria Streams the users are choria's, included in its account (ChoriaAccounts.accountsFile).
        if (pinned && tls != null && ChoriaPermissions.enabled(spec) && !ChoriaAccounts.enabled(spec)) c.append(ChoriaPermissions.mainConfigPart());
        return c.toString();
    }

    /**
     * A gateway together with a leaf node port: nats-server (2.9.10 and 2.10.x, leafnode.go validateLeafNode) refuses to
     * start unless a system account is named, although {@code nats-server -t} accepts the file. The implicit {@code $SYS}
     * is made only once the server runs, so {@code system_account: "$SYS"} alone is refused too ("account missing"); it is
     * declared, empty, under the name the other sites' implicit one has. Clients, leafs (their users name no account) and
     * gateways stay in the global account. Rendered only then: with {@code $SYS} the only account besides the global one,
     * nats-server adds a user of its own as no_auth_user, so the client port then asks for authentication, and a client
     * presenting a user, token or JWT it ignored before is refused; a client that presents none lands where it did.
     */
    static String systemAccount(NatsClusterSpec spec) {
        if (ChoriaAccounts.enabled(spec)) return ""; // the accounts of Choria Streams name theirs
        boolean leafPort = spec.getLeafnodes() != null && spec.getLeafnodes().accepting();
        if (spec.getGateway() == null || !leafPort) return "";
        return "accounts {\n  \"$SYS\": {}\n}\nsystem_account: \"$SYS\"\n";
    }

    /** The NATS cluster name: spec.clusterName, else metadata.name. */
    public static String clusterName(Names names, NatsClusterSpec spec) {
        return spec.getClusterName() != null && !spec.getClusterName().isEmpty() ? spec.getClusterName() : names.cluster();
    }

    /**
     * The gateway block. Nothing in it depends on the size or on the certificate's content, because
     * nats-server (2.9 and 2.10 alike) refuses to reload a changed gateway block, and a refused
     * reload would also hold back the routes of a scale: only its TLS files are reloaded. A change
     * of the remotes rolls the brokers instead (the StatefulSet carries a hash of this block).
     */
    public static String gatewayBlock(Names names, NatsClusterSpec spec, BrokerPaths paths, boolean pinned) {
        GatewaySpec gw = spec.getGateway();
        if (gw == null) return "";
        StringBuilder c = new StringBuilder();
        c.append("gateway {\n");
        // NATS requires the gateway name to be the cluster name (ErrClusterNameConfigConflict otherwise).
        c.append("  name: ").append(quote(clusterName(names, spec))).append('\n');
        if (paths.listenHost() != null) c.append("  host: ").append(quote(paths.listenHost())).append('\n');
        c.append("  port: ").append(gw.getPort()).append('\n');
        if (gw.getAdvertise() != null && !gw.getAdvertise().isEmpty()) c.append("  advertise: ").append(quote(gw.getAdvertise())).append('\n');
        // Only the sites listed here (and those listing this one, which must be listed back) may connect. This checks
        // only the name a gateway claims, which anyone may claim:
        c.append("  reject_unknown_cluster: true\n");
        if (spec.getTls() != null) {
            c.append("  tls {\n");
            tlsBody(c, paths, true, spec.getTls().getHandshakeTimeoutSeconds(), "    ");
            // ...so a dialling gateway's certificate must also carry (as a DNS name) the host of a URL listed below: the
            // Puppet CA has signed every node, revoked ones too, and a certificate from it alone is no site.
            c.append("    verify_cert_and_check_known_urls: true\n");
            // ...and a revoked certificate still carries its name: with Puppet revocation enforced, only the keys of the
            // signed certificates that carry a listed site's host (this list also applies to the sites dialled).
            if (pinned) c.append("    pinned_certs: $").append(GATEWAY_PINNED_CERTS_ENV).append('\n');
            c.append("  }\n");
        }
        c.append("  gateways: [\n");
        for (GatewayRemote r : gw.getRemotes()) {
            c.append("    {name: ").append(quote(r.getName())).append(", urls: [");
            List<String> urls = remoteUrls(names, r);
            for (int i = 0; i < urls.size(); i++) c.append(i == 0 ? "" : ", ").append(quote(urls.get(i)));
            c.append("]}\n");
        }
        c.append("  ]\n");
        c.append("}\n");
        return c.toString();
    }

    /**
     * What nats-server reads only at start (cluster name, gateway block): the StatefulSet's pod
     * template carries its hash, so a change rolls the brokers one at a time instead of a reload
     * that nats-server would refuse.
     */
    public static String restartOnlySettings(Names names, NatsClusterSpec spec, PortPinnedCerts ports) {
        // The ports' pinned keys are in the pod template's environment: a change of them rolls the brokers by itself.
        // nats-server refuses to reload a changed system_account (reload.go) as well.
        return "cluster " + clusterName(names, spec) + "\n" + gatewayBlock(names, spec, BrokerPaths.POD, ports.gateway() != null)
                + leafNodesBlock(spec, BrokerPaths.POD, ports.leafnodes() != null) + systemAccount(spec)
                // JetStream's store and limits, system_account and no_auth_user are read at start only.
                + (ChoriaAccounts.enabled(spec) ? ChoriaAccounts.mainConfigPart(spec, BrokerPaths.POD) : "")
                // verify_and_map cannot be reloaded (reload.go: no case for it); the users under it can.
                + (ChoriaPermissions.enabled(spec) ? "tls verify_and_map\n" : "");
    }

    /** The one user of a leaf port whose spec names no edge: a name no certificate can carry. */
    static final String NO_EDGE = "no edge : spec.leafnodes.edges is empty";

    /**
     * The leafnodes block. Like the gateway block, nats-server (2.9.10 and 2.10.x, reload.go) refuses
     * to reload a change of it other than its TLS files (and, in 2.10 only, compression and
     * handshake_first), so nothing in it depends on the size or the certificate's content, and a
     * change rolls the brokers ({@link #restartOnlySettings}). Accepting: TLS with {@code verify_and_map},
     * so an edge must present a certificate from the CA that carries a name in {@code spec.leafnodes.edges}
     * ({@code authorization.users}); {@code no_advertise}, since pod
     * addresses mean nothing to an edge outside Kubernetes. Remotes present the broker's own
     * certificate and verify the hub's against the CA.
     */
    public static String leafNodesBlock(NatsClusterSpec spec, BrokerPaths paths, boolean pinned) {
        LeafNodesSpec leaf = spec.getLeafnodes();
        if (leaf == null) return "";
        TlsSpec tls = spec.getTls();
        StringBuilder c = new StringBuilder("leafnodes {\n");
        if (leaf.accepting()) {
            if (paths.listenHost() != null) c.append("  host: ").append(quote(paths.listenHost())).append('\n');
            c.append("  port: ").append(leaf.getPort()).append('\n');
            c.append("  no_advertise: true\n");
            if (tls != null) {
                // A certificate from the CA is not enough: verify_and_map maps the edge's certificate (email, DNS or URI
                // SAN, else its subject) to one of the users below, and refuses it when none matches. The CA has signed
                // every Puppet node, revoked ones too; only the edges the spec names may join the hub.
                c.append("  tls {\n");
                tlsBody(c, paths, true, tls.getHandshakeTimeoutSeconds(), "    ");
                c.append("    verify_and_map: true\n");
                // A revoked certificate still carries its name: with Puppet revocation enforced, only the keys of the signed
                // certificates that carry a listed edge's name (or a host the remotes below dial: this list applies to them too).
                if (pinned) c.append("    pinned_certs: $").append(LEAFNODE_PINNED_CERTS_ENV).append('\n');
                c.append("  }\n");
                c.append("  authorization {\n    users: [\n");
                // An empty list would admit every certificate of the CA (nats-server then skips the check): name one
                // that no certificate can carry instead (no DNS name, address or subject has a space before a colon).
                List<String> edges = leaf.getEdges().isEmpty() ? List.of(NO_EDGE) : leaf.getEdges();
                // With Choria's accounts, an edge's traffic joins the nodes' and clients' in choria (a user without an
                // account would land in the global account, which then holds no one).
                String account = ChoriaAccounts.enabled(spec) ? ", account: " + quote(ChoriaAccounts.CHORIA_ACCOUNT) : "";
                for (String edge : edges) c.append("      {user: ").append(quote(edge)).append(account).append("}\n");
                c.append("    ]\n  }\n");
            }
        }
        if (!leaf.getRemotes().isEmpty()) {
            c.append("  remotes: [\n");
            for (LeafNodeRemote r : leaf.getRemotes()) {
                c.append("    {\n      urls: [");
                for (int i = 0; i < r.getUrls().size(); i++) c.append(i == 0 ? "" : ", ").append(quote(r.getUrls().get(i)));
                c.append("]\n");
                if (tls != null) {
                    // verify is meaningless for the dialling side: it always verifies the hub against ca_file.
                    c.append("      tls {\n");
                    c.append("        cert_file: ").append(quote(paths.tlsCert())).append('\n');
                    c.append("        key_file: ").append(quote(paths.tlsKey())).append('\n');
                    c.append("        ca_file: ").append(quote(paths.tlsCa())).append('\n');
                    c.append("        timeout: ").append(tls.getHandshakeTimeoutSeconds()).append('\n');
                    c.append("      }\n");
                }
                c.append("    }\n");
            }
            c.append("  ]\n");
        }
        c.append("}\n");
        return c.toString();
    }

    /**
     * A remote's URLs. A natsClusterRef has been turned into the referenced NatsCluster's gateway URL, on that cluster's
     * port, by inputs.ClusterInputs (for the reconciler and render alike); an unresolved one is refused rather than
     * guessed (a default port would dial nothing when the other site listens elsewhere).
     */
    public static List<String> remoteUrls(Names names, GatewayRemote r) {
        if (r.getUrls() != null && !r.getUrls().isEmpty()) return r.getUrls();
        throw new IllegalStateException("gateway remote '" + r.getName() + "': natsClusterRef not resolved (inputs.ClusterInputs resolves it)");
    }

    public static String gatewayRefUrl(Names names, String cluster, String namespace, int port) {
        return "nats://" + Names.hostPort(names.gatewayServiceFqdnOf(cluster, namespace), port);
    }

    /** The secret half: route authorization and one route per broker (a self-route is ignored by NATS). */
    public static String routesConfig(Names names, int size, int clusterPort, String password) {
        StringBuilder c = new StringBuilder();
        c.append("authorization {\n  user: ").append(quote(ROUTE_USER)).append("\n  password: ")
                .append(quote(password)).append("\n  timeout: 2\n}\n");
        c.append("routes = [\n");
        String userInfo = ROUTE_USER + ":" + urlEncoded(password);
        String scheme = "nats-route://";
        for (int i = 0; i < size; i++) {
            c.append("  ").append(quote(scheme + userInfo + "@" + names.podAddress(i, clusterPort))).append('\n');
        }
        c.append("]\n");
        return c.toString();
    }

    private static void tlsBody(StringBuilder c, BrokerPaths paths, boolean verify, int timeoutSeconds, String indent) {
        c.append(indent).append("cert_file: ").append(quote(paths.tlsCert())).append('\n');
        c.append(indent).append("key_file: ").append(quote(paths.tlsKey())).append('\n');
        c.append(indent).append("ca_file: ").append(quote(paths.tlsCa())).append('\n');
        c.append(indent).append("verify: ").append(verify).append('\n');
        c.append(indent).append("timeout: ").append(timeoutSeconds).append('\n');
    }

    /** The password as it stands in a route URL (a space is %20 there, not '+'). */
    public static String urlEncoded(String password) {
        return URLEncoder.encode(password, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String quote(String s) {
        return '"' + escaped(s) + '"';
    }

    /** {@code s} as it stands between the double quotes of a nats.conf string: backslash and quote escaped. */
    public static String escaped(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
