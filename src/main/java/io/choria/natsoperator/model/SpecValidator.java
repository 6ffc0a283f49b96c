package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.LimitsSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.PortsSpec;
import io.choria.natsoperator.api.SpecPatterns;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a defaulted spec for what the CRD schema also checks (so {@code render} and a cluster
 * without schema validation give the same answer) and for what the schema cannot express.
 */
public final class SpecValidator {
    /**
     * 52: the StatefulSet controller labels each pod {@code controller-revision-hash=<name>-<10-character hash>},
     * a label value holds at most 63 characters, so past 52 no broker pod can be created
     * (kubernetes/kubernetes#64023). It also keeps {@code <name>-headless} a DNS label.
     */
    public static final int MAX_NAME_LENGTH = 52;
    private static final long MAX_LAME_DUCK_MILLIS = 3_600_000;
    private static final int MAX_VALIDITY_DAYS = 3650;
    private static final Pattern NO_CONTROL_CHARS = Pattern.compile(SpecPatterns.NO_CONTROL_CHARS);
    private static final Pattern IMAGE = Pattern.compile(SpecPatterns.IMAGE);
    private static final Pattern DNS_NAME = Pattern.compile(SpecPatterns.DNS_NAME);
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final long MIN_LAME_DUCK_MILLIS = 30_000;

    private SpecValidator() {}

    private static final Pattern PROMETHEUS_DURATION = Pattern.compile("[0-9]+(ms|s|m|h)");

    /** The exporter and PodMonitor (spec.monitoring): a port of its own, an image, a PodMonitor only with the exporter. */
    private static void monitoring(List<SpecProblem> problems, NatsClusterSpec s, Set<Integer> brokerPorts) {
        var m = s.getMonitoring();
        if (m == null) return;
        var e = m.getExporter();
        if (e != null && Boolean.TRUE.equals(e.getEnabled())) {
            int port = e.getPort();
            if (port < PortsSpec.MIN_PORT || port > 65535) {
                problems.add(problem("spec.monitoring.exporter.port must be " + PortsSpec.MIN_PORT + "-65535 (got " + port + ")"));
            }
            if (brokerPorts.contains(port)) problems.add(problem("spec.monitoring.exporter.port (" + port + ") is used by a broker port"));
            if (e.getImage() == null || !IMAGE.matcher(e.getImage()).matches()) {
                problems.add(problem("spec.monitoring.exporter.image " + quote(String.valueOf(e.getImage())) + " must not hold whitespace or control characters"));
            }
        }
        var pm = m.getPodMonitor();
        if (pm != null && Boolean.TRUE.equals(pm.getEnabled())) {
            if (e == null || !Boolean.TRUE.equals(e.getEnabled())) {
                problems.add(problem("spec.monitoring.podMonitor.enabled needs spec.monitoring.exporter.enabled: the PodMonitor scrapes the exporter"));
            }
            if (pm.getInterval() == null || !PROMETHEUS_DURATION.matcher(pm.getInterval()).matches()) {
                problems.add(problem("spec.monitoring.podMonitor.interval " + quote(String.valueOf(pm.getInterval())) + " must be a duration such as 30s"));
            }
            noControlChars(problems, "spec.monitoring.podMonitor.labels", pm.getLabels());
        }
    }

    public static List<SpecProblem> validate(NatsCluster nc) {
        List<SpecProblem> problems = new ArrayList<>();
        String name = nc.getMetadata() == null ? null : nc.getMetadata().getName();
        if (name == null || name.isEmpty()) {
            problems.add(problem("metadata.name is required"));
        } else {
            if (name.length() > MAX_NAME_LENGTH) {
                problems.add(problem("metadata.name '" + name + "' is " + name.length() + " characters; at most "
                        + MAX_NAME_LENGTH + " keep the StatefulSet's controller-revision-hash label ('" + name
                        + "-<hash>') within 63, or no broker pod can be created"));
            }
            if (!DNS_LABEL.matcher(name).matches()) {
                problems.add(problem("metadata.name '" + name + "' must be a DNS label (lower-case letters, digits, '-')"));
            }
        }
        NatsClusterSpec s = nc.getSpec();
        if (s.getSize() < 1) problems.add(problem("spec.size must be at least 1 (got " + s.getSize() + ")"));
        if (s.getSize() > 99) problems.add(problem("spec.size must be at most 99 (got " + s.getSize() + ")"));
        Set<Integer> ports = new HashSet<>();
        for (var p : List.of(new Object[] {"client", s.getPorts().getClient()}, new Object[] {"cluster", s.getPorts().getCluster()},
                new Object[] {"monitor", s.getPorts().getMonitor()})) {
            int port = (Integer) p[1];
            if (port < PortsSpec.MIN_PORT || port > 65535) {
                problems.add(problem("spec.ports." + p[0] + " must be " + PortsSpec.MIN_PORT + "-65535 (got " + port
                        + "): the broker runs as uid 1000 without capabilities and cannot bind a port below " + PortsSpec.MIN_PORT));
            }
            if (!ports.add(port)) problems.add(problem("spec.ports." + p[0] + " (" + port + ") is used by another port"));
        }
        monitoring(problems, s, ports);
        sites(problems, nc, ports);
        leafNodes(problems, s, ports);
        if (s.getImage() != null && !IMAGE.matcher(s.getImage()).matches()) {
            problems.add(problem("spec.image " + quote(s.getImage()) + " must not hold whitespace or control characters"));
        }
        duration(problems, "spec.limits.writeDeadline", s.getLimits().getWriteDeadline(), 1, Long.MAX_VALUE);
        duration(problems, "spec.limits.lameDuckDuration", s.getLimits().getLameDuckDuration(), MIN_LAME_DUCK_MILLIS, MAX_LAME_DUCK_MILLIS);
        range(problems, "spec.limits.maxConnections", s.getLimits().getMaxConnections(), 1, LimitsSpec.MAX_CONNECTIONS);
        if (s.getCapacity() != null) {
            if (s.getCapacity().getNodesPerBroker() == null) {
                problems.add(problem("spec.capacity.nodesPerBroker is required when capacity is set"));
            } else {
                range(problems, "spec.capacity.nodesPerBroker", s.getCapacity().getNodesPerBroker(), 1, io.choria.natsoperator.api.CapacitySpec.MAX_NODES_PER_BROKER);
            }
            range(problems, "spec.capacity.warnPercent", s.getCapacity().getWarnPercent(), 50, 99);
        }
        range(problems, "spec.sysctls.somaxconn", s.getSysctls().getSomaxconn(), 128, SysctlsSpec.MAX_SOMAXCONN);
        range(problems, "spec.sysctls.tcpMaxSynBacklog", s.getSysctls().getTcpMaxSynBacklog(), 128, SysctlsSpec.MAX_TCP_MAX_SYN_BACKLOG);
        noControlChars(problems, "spec.pod.labels", s.getPod().getLabels());
        noControlChars(problems, "spec.pod.annotations", s.getPod().getAnnotations());
        noControlChars(problems, "spec.service.annotations", s.getService().getAnnotations());
        cidrs(problems, "clientCIDRs", s.getNetworkPolicy().getClientCIDRs());
        cidrs(problems, "leafnodeCIDRs", s.getNetworkPolicy().getLeafnodeCIDRs());
        cidrs(problems, "gatewayCIDRs", s.getNetworkPolicy().getGatewayCIDRs());
        streams(problems, s);
        authorization(problems, s);
        var ref = s.getRoutes().getPasswordSecretRef();
        if (ref != null && (ref.getName() == null || ref.getName().isBlank())) {
            problems.add(problem("spec.routes.passwordSecretRef.name is required when passwordSecretRef is set"));
        }
        TlsSpec tls = s.getTls();
        if (tls == null && !s.plaintextAllowed()) {
            // Plaintext means any pod can connect as a client and read the route password off the wire:
            // never the outcome of forgetting a field, only of asking for it by an insecure-sounding name.
            problems.add(new SpecProblem(Reason.PlaintextNotAllowed, "spec.tls is not set, so the brokers would run without TLS"
                    + " (clients need no certificate, the route password crosses the network in clear): set spec.tls.caSecretRef,"
                    + " or spec.insecurePlaintext: true to run plaintext on purpose"));
        }
        if (tls != null) {
            if ((tls.getCaSecretRef() == null) == (tls.getPuppet() == null)) {
                problems.add(problem("spec.tls needs exactly one of caSecretRef (CA-key mode) and puppet (enrolment with the Puppet CA)"));
            } else if (tls.getCaSecretRef() != null && (tls.getCaSecretRef().getName() == null || tls.getCaSecretRef().getName().isBlank())) {
                problems.add(problem("spec.tls.caSecretRef.name is required when tls is set"));
            } else if (tls.getPuppet() != null) {
                puppet(problems, tls.getPuppet());
            }
            range(problems, "spec.tls.validityDays", tls.getValidityDays(), 1, MAX_VALIDITY_DAYS);
            extraSans(problems, tls.getExtraSANs());
            if (tls.getHandshakeTimeoutSeconds() < 1 || tls.getHandshakeTimeoutSeconds() > 60) {
                problems.add(problem("spec.tls.handshakeTimeoutSeconds must be 1-60 (got " + tls.getHandshakeTimeoutSeconds() + ")"));
            }
            if (tls.getRenewBeforeDays() < 1 || tls.getRenewBeforeDays() >= tls.getValidityDays()) {
                problems.add(problem("spec.tls.renewBeforeDays (" + tls.getRenewBeforeDays()
                        + ") must be at least 1 and less than validityDays (" + tls.getValidityDays() + ")"));
            }
        }
        return problems;
    }

    /** A volume smaller than this holds no useful stream: nats-server's file blocks alone are several MiB. */
    static final long MIN_STREAMS_VOLUME_BYTES = 64L << 20;

    /** spec.authorization: its users come from the Puppet inventory the operator syncs, so it needs Puppet enrolment with revocation. */
    private static void authorization(List<SpecProblem> problems, NatsClusterSpec s) {
        var a = s.getAuthorization();
        if (a == null) return;
        var puppet = s.getTls() == null ? null : s.getTls().getPuppet();
        if (puppet == null || !Boolean.TRUE.equals(puppet.getEnforceRevocation())) {
            problems.add(problem("spec.authorization needs spec.tls.puppet with enforceRevocation: true: its NATS users are the certnames the"
                    + " operator syncs from the Puppet CA's inventory"));
        }
        if (a.getCollectives() == null || a.getCollectives().isEmpty()) {
            problems.add(problem("spec.authorization.collectives must name at least one collective"));
        } else {
            for (String c : a.getCollectives()) {
                if (c == null || !c.matches(io.choria.natsoperator.api.AuthorizationSpec.COLLECTIVE_PATTERN)) {
                    problems.add(problem("spec.authorization.collectives: " + quote(String.valueOf(c)) + " must be one subject token (letters, digits, '_', '-')"));
                }
            }
        }
        for (var list : java.util.Map.of("clientCertnames", a.getClientCertnames(), "privilegedCertnames", a.getPrivilegedCertnames()).entrySet()) {
            for (String pattern : list.getValue() == null ? List.<String>of() : list.getValue()) {
                String why = pattern == null ? "empty" : regexProblem(pattern);
                if (why != null) problems.add(problem("spec.authorization." + list.getKey() + ": " + quote(String.valueOf(pattern)) + " is not a regular expression: " + why));
            }
        }
        for (var role : java.util.Map.of("nodes", a.getNodes(), "clients", a.getClients(), "privileged", a.getPrivileged()).entrySet()) {
            if (role.getValue() == null) continue;
            for (var dir : java.util.Map.of("publish", role.getValue().getPublish(), "subscribe", role.getValue().getSubscribe()).entrySet()) {
                for (String subject : dir.getValue() == null ? List.<String>of() : dir.getValue()) {
                    if (subject == null || !subject.matches(io.choria.natsoperator.api.AuthorizationSpec.SUBJECT_PATTERN)) {
                        problems.add(problem("spec.authorization." + role.getKey() + "." + dir.getKey() + ": " + quote(String.valueOf(subject))
                                + " must be a subject: 1-255 printable characters, no whitespace"));
                    }
                }
            }
        }
    }

    private static void streams(List<SpecProblem> problems, NatsClusterSpec s) {
        var st = s.getStreams();
        if (st == null) return;
        Long volume = quantity(problems, "spec.streams.storage.size", st.getStorage().getSize());
        if (volume != null && volume < MIN_STREAMS_VOLUME_BYTES) {
            problems.add(problem("spec.streams.storage.size " + quote(st.getStorage().getSize()) + " must be at least 64Mi"));
        }
        quantity(problems, "spec.streams.memoryStore", st.getMemoryStore());
        String sc = st.getStorage().getStorageClassName();
        if (sc != null && !sc.isEmpty() && !sc.matches("^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")) {
            problems.add(problem("spec.streams.storage.storageClassName " + quote(sc) + " must be a DNS subdomain (lower-case letters, digits, '-', '.')"));
        }
        range(problems, "spec.streams.replicas", st.getReplicas(), 1, 5);
        if (st.getReplicas() != null && st.getReplicas() > s.getSize()) {
            // Scaling below what the streams need would leave them without quorum: refused, said, not done.
            problems.add(new SpecProblem(Reason.StreamReplicasAboveSize, "spec.streams.replicas (" + st.getReplicas() + ") is more than spec.size ("
                    + s.getSize() + "): the managed streams would lose their quorum. Lower spec.streams.replicas first (or leave it unset:"
                    + " it follows the size, up to 3), then the size"));
        }
        var r = st.getRetention();
        duration(problems, "spec.streams.retention.events", r.getEvents(), 0, Long.MAX_VALUE);
        duration(problems, "spec.streams.retention.machine", r.getMachine(), 0, Long.MAX_VALUE);
        duration(problems, "spec.streams.retention.advisories", r.getAdvisories(), 0, Long.MAX_VALUE);
        duration(problems, "spec.streams.retention.executor", r.getExecutor(), 0, Long.MAX_VALUE);
        duration(problems, "spec.streams.leaderElectionTtl", st.getLeaderElectionTtl(), 1000, Long.MAX_VALUE);
    }

    /** The quantity's bytes, or null with a problem when it is not one. */
    private static Long quantity(List<SpecProblem> problems, String field, String value) {
        try {
            if (value == null || !value.matches(io.choria.natsoperator.api.StreamsSpec.QUANTITY_PATTERN)) throw new IllegalArgumentException();
            return BrokerCapacity.bytes(new io.fabric8.kubernetes.api.model.Quantity(value));
        } catch (RuntimeException e) {
            problems.add(problem(field + " " + quote(String.valueOf(value)) + " must be a quantity of bytes such as 10Gi or 512Mi"));
            return null;
        }
    }

    private static final Pattern CLUSTER_NAME = Pattern.compile(SpecPatterns.CLUSTER_NAME);
    private static final Pattern SERVER_NAME_PREFIX = Pattern.compile(SpecPatterns.SERVER_NAME_PREFIX);
    private static final Pattern GATEWAY_URL = Pattern.compile(SpecPatterns.NATS_URL);
    private static final Pattern ADVERTISE = Pattern.compile("^[^\\x00-\\x20\\x7f\"]*$");

    /** clusterName, serverNamePrefix and the gateway (issue 14); {@code ports} holds the other ports, checked already. */
    private static void sites(List<SpecProblem> problems, NatsCluster nc, Set<Integer> ports) {
        NatsClusterSpec s = nc.getSpec();
        String clusterName = s.getClusterName();
        if (clusterName != null && !CLUSTER_NAME.matcher(clusterName).matches()) {
            problems.add(problem("spec.clusterName " + quote(clusterName) + " must be 1-63 letters, digits, '-' or '_', starting with a letter or digit"));
        }
        if (s.getServerNamePrefix() != null && !SERVER_NAME_PREFIX.matcher(s.getServerNamePrefix()).matches()) {
            problems.add(problem("spec.serverNamePrefix " + quote(s.getServerNamePrefix()) + " must be at most 40 letters, digits, '-', '_' or '.'"));
        }
        var gw = s.getGateway();
        if (gw == null) return;
        int port = gw.getPort();
        if (port < PortsSpec.MIN_PORT || port > 65535) {
            problems.add(problem("spec.gateway.port must be " + PortsSpec.MIN_PORT + "-65535 (got " + port + ")"));
        } else if (ports.contains(port)) {
            problems.add(problem("spec.gateway.port (" + port + ") is used by another port of spec.ports"));
        } else {
            ports.add(port);
        }
        if (gw.getAdvertise() != null && !ADVERTISE.matcher(gw.getAdvertise()).matches()) {
            problems.add(problem("spec.gateway.advertise " + quote(gw.getAdvertise()) + " must be host:port without whitespace or quotes"));
        }
        noControlChars(problems, "spec.gateway.serviceAnnotations", gw.getServiceAnnotations());
        Map<String, Integer> seen = new java.util.HashMap<>();
        String self = clusterName != null ? clusterName : nc.getMetadata() == null ? null : nc.getMetadata().getName();
        for (int i = 0; i < gw.getRemotes().size(); i++) {
            var r = gw.getRemotes().get(i);
            String field = "spec.gateway.remotes[" + i + "]";
            if (r.getName() == null || !CLUSTER_NAME.matcher(r.getName()).matches()) {
                problems.add(problem(field + ".name " + quote(r.getName()) + " must be the remote site's cluster name (1-63 letters, digits, '-' or '_')"));
                continue;
            }
            if (r.getName().equals(self)) {
                problems.add(problem(field + ".name " + quote(r.getName()) + " is this site's own cluster name: a site is not its own remote"));
            }
            Integer first = seen.putIfAbsent(r.getName(), i);
            if (first != null) {
                problems.add(problem(field + ".name " + quote(r.getName()) + " repeats spec.gateway.remotes[" + first + "].name"));
            }
            boolean hasUrls = r.getUrls() != null && !r.getUrls().isEmpty();
            var ref = r.getNatsClusterRef();
            if (hasUrls == (ref != null)) {
                problems.add(problem(field + " needs exactly one of urls and natsClusterRef"));
                continue;
            }
            for (int j = 0; hasUrls && j < r.getUrls().size(); j++) {
                String url = r.getUrls().get(j);
                if (url == null || !GATEWAY_URL.matcher(url).matches()) {
                    problems.add(problem(field + ".urls[" + j + "] " + quoteUrl(url) + " must be nats://host:port or tls://host:port (no credentials, no path)"));
                }
            }
            if (ref != null) {
                if (ref.getName() == null || !DNS_LABEL.matcher(ref.getName()).matches()) {
                    problems.add(problem(field + ".natsClusterRef.name " + quote(ref.getName()) + " must be a NatsCluster's name"));
                } else if (nc.getMetadata() != null && ref.getName().equals(nc.getMetadata().getName())
                        && (ref.getNamespace() == null || ref.getNamespace().isEmpty() || ref.getNamespace().equals(nc.getMetadata().getNamespace()))) {
                    problems.add(problem(field + ".natsClusterRef names this NatsCluster itself: a site is not its own remote"));
                }
                if (ref.getNamespace() != null && !ref.getNamespace().isEmpty() && !DNS_LABEL.matcher(ref.getNamespace()).matches()) {
                    problems.add(problem(field + ".natsClusterRef.namespace " + quote(ref.getNamespace()) + " must be a namespace name"));
                }
            }
        }
    }

    /**
     * spec.leafnodes: a port of its own, something to do (accept or dial), and remote URLs that
     * nats-server can dial with the broker's certificate. {@code ports}: the broker ports and the
     * gateway's, checked already.
     */
    private static void leafNodes(List<SpecProblem> problems, NatsClusterSpec s, Set<Integer> ports) {
        var leaf = s.getLeafnodes();
        if (leaf == null) return;
        int port = leaf.getPort();
        if (leaf.accepting()) {
            var exporter = s.getMonitoring() == null ? null : s.getMonitoring().getExporter();
            boolean exporterPort = exporter != null && Boolean.TRUE.equals(exporter.getEnabled()) && exporter.getPort() == port;
            if (port < PortsSpec.MIN_PORT || port > 65535) {
                problems.add(problem("spec.leafnodes.port must be " + PortsSpec.MIN_PORT + "-65535 (got " + port + ")"));
            } else if (ports.contains(port) || exporterPort) {
                problems.add(problem("spec.leafnodes.port (" + port + ") is used by another port (spec.ports, spec.gateway.port or the exporter)"));
            }
        } else if (leaf.getRemotes().isEmpty()) {
            problems.add(problem("spec.leafnodes has accept: false and no remotes: it would do nothing; remove it or list the hubs to dial"));
        }
        noControlChars(problems, "spec.leafnodes.serviceAnnotations", leaf.getServiceAnnotations());
        if (leaf.accepting() && s.getTls() == null) {
            // no TLS: no certificate to map to an edge, so the port would admit anyone who can reach it
            problems.add(problem("spec.leafnodes accepts edges but spec.tls is not set: the leaf node port would admit anyone;"
                    + " set spec.tls, or accept: false"));
        }
        for (int i = 0; i < leaf.getEdges().size(); i++) {
            String edge = leaf.getEdges().get(i);
            if (edge == null || edge.isBlank() || edge.length() > 1024 || !NO_CONTROL_CHARS.matcher(edge).matches()) {
                problems.add(problem("spec.leafnodes.edges[" + i + "] " + quote(edge) + " must be a name the edge's certificate carries"
                        + " (a DNS name, an email address or a subject such as CN=edge,O=Example)"));
            }
        }
        Map<String, String> seen = new java.util.HashMap<>();
        for (int i = 0; i < leaf.getRemotes().size(); i++) {
            var urls = leaf.getRemotes().get(i).getUrls();
            String field = "spec.leafnodes.remotes[" + i + "].urls";
            if (urls.isEmpty()) problems.add(problem(field + " is empty: list the hub's leaf node URLs"));
            for (int j = 0; j < urls.size(); j++) {
                String url = urls.get(j);
                String at = field + "[" + j + "]";
                if (url != null && url.contains("@")) {
                    // The URL would sit in nats.conf, a ConfigMap: no secret there. The certificate is the credential.
                    problems.add(problem(at + " carries credentials (user@ or user:password@): they would be written to a ConfigMap;"
                            + " the broker authenticates to the hub with its certificate, so give tls://host:port"));
                } else if (url == null || !GATEWAY_URL.matcher(url).matches() || LeafUrls.hostPort(url) == null) {
                    problems.add(problem(at + " " + quote(url) + " must be nats://host:port or tls://host:port (no credentials, no path)"));
                } else {
                    String first = seen.putIfAbsent(LeafUrls.hostPort(url), at);
                    if (first != null) problems.add(problem(at + " " + quote(url) + " repeats " + first + ": a hub is dialled once"));
                }
            }
        }
    }

    private static void puppet(List<SpecProblem> problems, io.choria.natsoperator.api.PuppetEnrolmentSpec p) {
        String url = p.getUrl();
        if (url != null && !url.equals(withoutUserInfo(url))) {
            // Status, Events and logs repeat the URL: a password in it would be published to all who read them.
            problems.add(problem("spec.tls.puppet.url " + quoteUrl(url) + " carries credentials (user@ or user:password@); the operator"
                    + " authenticates to the Puppet CA with the broker's certificate, so give https://host:port"));
            return;
        }
        try {
            java.net.URI u = url == null ? null : new java.net.URI(url);
            if (u == null || !"https".equals(u.getScheme()) || u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
                problems.add(problem("spec.tls.puppet.url " + quote(url) + " must be an https URL of the Puppet CA, e.g. https://puppet:8140"));
            }
        } catch (java.net.URISyntaxException e) {
            problems.add(problem("spec.tls.puppet.url " + quote(url) + " is not a URL: " + e.getReason()));
        }
        String certnames = p.getPinnedCertnames();
        if (certnames != null) {
            String why = regexProblem(certnames);
            if (certnames.isEmpty() || certnames.length() > 1024) {
                problems.add(problem("spec.tls.puppet.pinnedCertnames must be 1-1024 characters (got " + certnames.length() + ")"));
            } else if (why != null) {
                problems.add(problem("spec.tls.puppet.pinnedCertnames " + quote(certnames) + " is not a regular expression: " + why));
            }
        }
        if (p.getCaBundleSecretRef() == null || p.getCaBundleSecretRef().getName() == null || p.getCaBundleSecretRef().getName().isBlank()) {
            problems.add(problem("spec.tls.puppet.caBundleSecretRef.name is required"));
        }
        var challenge = p.getChallengePasswordSecretRef();
        if (challenge != null && (challenge.getName() == null || challenge.getName().isBlank())) {
            problems.add(problem("spec.tls.puppet.challengePasswordSecretRef.name is required when challengePasswordSecretRef is set"));
        }
        range(problems, "spec.tls.puppet.syncIntervalSeconds", p.getSyncIntervalSeconds(), 5, 3600);
        Integer maxAge = p.getMaxSyncAgeSeconds();
        if (maxAge != null) {
            range(problems, "spec.tls.puppet.maxSyncAgeSeconds", maxAge, 10, io.choria.natsoperator.api.PuppetEnrolmentSpec.MAX_MAX_SYNC_AGE_SECONDS);
            int interval = p.getSyncIntervalSeconds() == null ? 30 : p.getSyncIntervalSeconds();
            if (maxAge < 2 * interval) {
                problems.add(problem("spec.tls.puppet.maxSyncAgeSeconds (" + maxAge + ") must be at least twice syncIntervalSeconds ("
                        + interval + "): between two good syncs the list is up to one interval old, so a shorter limit would call it too old"
                        + " while Puppet answers"));
            }
        }
    }

    /**
     * The one reason for a list of problems: a specific reason (PlaintextNotAllowed) when every
     * problem has it, so status and Events say exactly what to do; InvalidSpec for a mix.
     */
    public static Reason reasonOf(List<SpecProblem> problems) {
        return problems.stream().map(SpecProblem::reason).distinct().count() == 1 ? problems.get(0).reason() : Reason.InvalidSpec;
    }

    /** Linear in the number of names: one pass, no name compared with another. */
    private static void extraSans(List<SpecProblem> problems, List<String> sans) {
        if (sans == null) return;
        if (sans.size() > SpecPatterns.MAX_EXTRA_SANS) {
            problems.add(problem("spec.tls.extraSANs has " + sans.size() + " entries; at most " + SpecPatterns.MAX_EXTRA_SANS));
            return;
        }
        for (int i = 0; i < sans.size(); i++) {
            String san = sans.get(i);
            String field = "spec.tls.extraSANs[" + i + "] " + quote(san);
            if (san == null || san.isEmpty()) {
                problems.add(problem("spec.tls.extraSANs[" + i + "] is empty"));
            } else if (Cidrs.isIpLiteral(san)) {
                continue; // issued as an IP SAN (GeneralName.iPAddress)
            } else if (san.length() > SpecPatterns.MAX_DNS_NAME) {
                problems.add(problem(field.substring(0, field.indexOf(' ')) + " is " + san.length()
                        + " characters; a DNS name holds at most " + SpecPatterns.MAX_DNS_NAME));
            } else if (!DNS_NAME.matcher(san).matches()) {
                problems.add(problem(field + " is not a DNS name (RFC 1123: lower-case letters, digits, '-' and '.', labels of 1-63"
                        + " characters, no wildcard) nor an IP address"));
            }
        }
    }

    private static void noControlChars(List<SpecProblem> problems, String field, Map<String, String> map) {
        if (map == null) return;
        for (Map.Entry<String, String> e : map.entrySet()) {
            if (e.getKey() == null || !NO_CONTROL_CHARS.matcher(e.getKey()).matches()) {
                problems.add(problem(field + " key " + quote(e.getKey()) + " must not hold control characters (newline, tab, NUL)"));
            } else if (e.getValue() != null && !NO_CONTROL_CHARS.matcher(e.getValue()).matches()) {
                problems.add(problem(field + "['" + e.getKey() + "'] must not hold control characters (newline, tab, NUL)"));
            }
        }
    }

    private static void cidrs(List<SpecProblem> problems, String field, List<String> cidrs) {
        for (int i = 0; cidrs != null && i < cidrs.size(); i++) {
            String why = Cidrs.problem(cidrs.get(i));
            if (why != null) problems.add(problem("spec.networkPolicy." + field + "[" + i + "] " + quote(cidrs.get(i)) + " is not a CIDR: " + why));
        }
    }

    private static void range(List<SpecProblem> problems, String field, int value, int min, int max) {
        if (value < min || value > max) problems.add(problem(field + " must be " + min + "-" + max + " (got " + value + ")"));
    }

    /** Any {@code user@} or {@code user:password@} before a URL's host, with or without a scheme. */
    private static final java.util.regex.Pattern USER_INFO = java.util.regex.Pattern.compile("^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@");

    static String withoutUserInfo(String url) {
        return USER_INFO.matcher(url).replaceFirst("$1");
    }

    /** A URL quoted as {@link #quote} does, its user information replaced by {@code ***}: a message never repeats a password. */
    public static String quoteUrl(String url) {
        return url == null ? quote(null) : quote(USER_INFO.matcher(url).replaceFirst("$1***@"));
    }

    /** The value in quotes, control characters escaped so the message stays one line; long values cut. */
    public static String quote(String value) {
        if (value == null) return "null";
        StringBuilder sb = new StringBuilder("'");
        int n = Math.min(value.length(), 80);
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else sb.append(c);
        }
        if (value.length() > n) sb.append("...");
        return sb.append('\'').toString();
    }

    private static void duration(List<SpecProblem> problems, String field, String value, long minMillis, long maxMillis) {
        try {
            long ms = Durations.millis(value);
            if (ms < minMillis) {
                problems.add(problem(field + " must be at least " + (minMillis >= 1000 ? (minMillis / 1000) + "s" : minMillis + "ms")
                        + " (got " + value + ")"));
            } else if (ms > maxMillis) {
                problems.add(problem(field + " must be at most "
                        + (maxMillis % 3_600_000 == 0 ? (maxMillis / 3_600_000) + "h" : (maxMillis / 60_000) + "m") + " (got " + value + ")"));
            }
        } catch (IllegalArgumentException e) {
            problems.add(problem(field + ": " + e.getMessage()));
        }
    }

    /** Why {@code pattern} is no Java regular expression (the operator matches certnames with it), or null. */
    static String regexProblem(String pattern) {
        try {
            Pattern.compile(pattern);
            return null;
        } catch (java.util.regex.PatternSyntaxException e) {
            return e.getDescription() + (e.getIndex() >= 0 ? " near index " + e.getIndex() : "");
        }
    }

    private static SpecProblem problem(String message) {
        return new SpecProblem(Reason.InvalidSpec, message);
    }
}
