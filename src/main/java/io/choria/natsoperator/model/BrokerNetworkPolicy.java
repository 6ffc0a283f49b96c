package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Who may reach which broker port: routes only between brokers of the cluster, monitoring only
 * from the operator and chosen namespaces, clients from chosen CIDRs and namespaces (or from
 * anywhere when none is chosen), leaf edges from chosen CIDRs (else as clients), gateways from the
 * referenced sites' brokers and chosen CIDRs.
 *
 * <p>The operator is one peer that ANDs its namespace (by the immutable
 * {@code kubernetes.io/metadata.name} label) with its pods' labels. Pod labels alone, in any
 * namespace, would admit any tenant who labels a pod {@code app.kubernetes.io/name:
 * nats-operator}; the namespace alone, every pod in it. Both come from the installer
 * ({@link InstallerSettings}), not the spec. The kubelet's probes come from the node, which
 * NetworkPolicy leaves to the CNI (see the README).
 */
public final class BrokerNetworkPolicy {
    /** Set by the API server on every namespace (since 1.22), and only it can set it. */
    public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    private BrokerNetworkPolicy() {}

    /** With the installer's defaults. */
    public static NetworkPolicy of(NatsCluster nc, Names names) {
        return of(nc, names, InstallerSettings.DEFAULTS);
    }

    public static NetworkPolicy of(NatsCluster nc, Names names, InstallerSettings installer) {
        NetworkPolicySpec np = nc.getSpec().getNetworkPolicy();
        var ports = nc.getSpec().getPorts();
        List<NetworkPolicyPeer> clients = new ArrayList<>(ipBlocks(np.getClientCIDRs()));
        if (np.getClientNamespaceSelector() != null) {
            clients.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(np.getClientNamespaceSelector()).build());
        }
        List<NetworkPolicyPeer> monitors = new ArrayList<>();
        monitors.add(operator(installer));
        if (np.getMonitorNamespaceSelector() != null) {
            monitors.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(np.getMonitorNamespaceSelector()).build());
        }
        // With Choria Streams the operator keeps the streams through the client port (jetstream.StreamsChecker): when the
        // port admits only named sources, the operator is one of them (when it admits everyone, it is already).
        List<NetworkPolicyPeer> clientPort = new ArrayList<>(clients);
        if (ChoriaAccounts.enabled(nc.getSpec()) && !clientPort.isEmpty()) clientPort.add(operator(installer));
        List<NetworkPolicyIngressRule> rules = new ArrayList<>(List.of(rule(ports.getClient(), clientPort),
                rule(ports.getCluster(), List.of(new NetworkPolicyPeerBuilder()
                        .withNewPodSelector().withMatchLabels(Labels.selector(names.cluster())).endPodSelector().build())),
                rule(ports.getMonitor(), monitors)));
        if (MetricsExporter.enabled(nc.getSpec())) {
            List<NetworkPolicyPeer> scrapers = scrapers(np, installer);
            // No scraper named: no rule, so nobody (an empty "from" would admit everyone).
            if (!scrapers.isEmpty()) rules.add(rule(nc.getSpec().getMonitoring().getExporter().getPort(), scrapers));
        }
        if (nc.getSpec().getGateway() != null) {
            List<NetworkPolicyPeer> sites = gatewayPeers(nc);
            // gatewayCIDRs: [] with only URL remotes names no source: no rule, so nobody (an empty "from" would admit everyone).
            if (!sites.isEmpty() || np.getGatewayCIDRs() == null) rules.add(rule(nc.getSpec().getGateway().getPort(), sites));
        }
        // A leaf connection publishes into the hub like a client: unless the user names the edges' networks, the
        // sources the client port admits (open when none is named; TLS, the edge names and pinned keys still guard it).
        if (NatsClusterModel.accepting(nc)) {
            List<NetworkPolicyPeer> edges = np.getLeafnodeCIDRs() != null ? ipBlocks(np.getLeafnodeCIDRs()) : clients;
            // leafnodeCIDRs: [] names no source: no rule, so nobody.
            if (!edges.isEmpty() || np.getLeafnodeCIDRs() == null) rules.add(rule(nc.getSpec().getLeafnodes().getPort(), edges));
        }
        return new NetworkPolicyBuilder()
                .withMetadata(Owned.meta(nc, names.cluster(), "broker"))
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(Labels.selector(names.cluster())).endPodSelector()
                .withPolicyTypes("Ingress")
                .withIngress(rules)
                .endSpec()
                .build();
    }

    /**
     * Who may scrape the exporter: the installer's metrics namespaces (by their API-server-set name
     * label) and the spec's monitorNamespaceSelector, which may read 8222 already, so the exporter
     * shows them nothing new. Not the monitoring port: the exporter reads that on localhost.
     */
    static List<NetworkPolicyPeer> scrapers(NetworkPolicySpec np, InstallerSettings installer) {
        List<NetworkPolicyPeer> peers = new ArrayList<>();
        if (!installer.metricsNamespaces().isEmpty()) {
            peers.add(new NetworkPolicyPeerBuilder().withNewNamespaceSelector().addNewMatchExpression()
                    .withKey(NAMESPACE_NAME_LABEL).withOperator("In").withValues(installer.metricsNamespaces()).endMatchExpression()
                    .endNamespaceSelector().build());
        }
        if (np.getMonitorNamespaceSelector() != null) {
            peers.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(np.getMonitorNamespaceSelector()).build());
        }
        return peers;
    }

    /**
     * Who may dial the gateway port: when every remote is a NatsCluster in this Kubernetes cluster,
     * only its brokers (namespace AND pod labels, one peer each). A remote given by URLs is outside
     * (another cluster, a VM site) behind addresses the operator cannot know, so the port is then
     * open, guarded by TLS verified against the CA both ways and reject_unknown_cluster.
     */
    static List<NetworkPolicyPeer> gatewayPeers(NatsCluster nc) {
        List<NetworkPolicyPeer> peers = new ArrayList<>();
        List<String> cidrs = nc.getSpec().getNetworkPolicy().getGatewayCIDRs();
        for (var remote : nc.getSpec().getGateway().getRemotes()) {
            var ref = remote.getNatsClusterRef();
            if (remote.getUrls() != null && !remote.getUrls().isEmpty() && ref == null && cidrs == null) return List.of();
            if (ref == null) continue;
            String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? nc.getMetadata().getNamespace() : ref.getNamespace();
            peers.add(new NetworkPolicyPeerBuilder()
                    .withNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of(NAMESPACE_NAME_LABEL, ns)).build())
                    .withPodSelector(new LabelSelectorBuilder().withMatchLabels(Labels.selector(ref.getName())).build())
                    .build());
        }
        // Sites given by URL come from the networks the user names.
        if (cidrs != null) peers.addAll(ipBlocks(cidrs));
        // No remote and no CIDR at all: other sites that list this one still need the port; nothing narrower is known.
        return peers;
    }

    private static List<NetworkPolicyPeer> ipBlocks(List<String> cidrs) {
        return cidrs.stream().map(cidr -> new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build()).toList();
    }

    /** One peer, so namespace AND pod labels must match (two peers would be an OR). */
    static NetworkPolicyPeer operator(InstallerSettings installer) {
        return new NetworkPolicyPeerBuilder()
                .withNamespaceSelector(new LabelSelectorBuilder().withMatchLabels(Map.of(NAMESPACE_NAME_LABEL, installer.operatorNamespace())).build())
                .withPodSelector(new LabelSelectorBuilder().withMatchLabels(installer.operatorPodLabels()).build())
                .build();
    }

    /** An empty {@code from} admits every source. */
    private static NetworkPolicyIngressRule rule(int port, List<NetworkPolicyPeer> from) {
        return new NetworkPolicyIngressRuleBuilder().addNewPort().withPort(new IntOrString(port)).withProtocol("TCP").endPort()
                .withFrom(from.isEmpty() ? null : from).build();
    }
}
