package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NetworkPolicySpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
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
 * from the operator (pods labelled {@code app.kubernetes.io/name: nats-operator}) and chosen
 * namespaces, clients from chosen CIDRs and namespaces (or from anywhere when none is chosen).
 */
public final class BrokerNetworkPolicy {
    public static final Map<String, String> OPERATOR_POD_LABELS = Map.of(Labels.NAME, Labels.MANAGER);

    private BrokerNetworkPolicy() {}

    public static NetworkPolicy of(NatsCluster nc, Names names) {
        NetworkPolicySpec np = nc.getSpec().getNetworkPolicy();
        var ports = nc.getSpec().getPorts();
        List<NetworkPolicyPeer> clients = new ArrayList<>();
        np.getClientCIDRs().forEach(cidr -> clients.add(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr(cidr).endIpBlock().build()));
        if (np.getClientNamespaceSelector() != null) {
            clients.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(np.getClientNamespaceSelector()).build());
        }
        List<NetworkPolicyPeer> monitors = new ArrayList<>();
        monitors.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(new LabelSelector())
                .withPodSelector(new LabelSelectorBuilder().withMatchLabels(OPERATOR_POD_LABELS).build()).build());
        if (np.getMonitorNamespaceSelector() != null) {
            monitors.add(new NetworkPolicyPeerBuilder().withNamespaceSelector(np.getMonitorNamespaceSelector()).build());
        }
        return new NetworkPolicyBuilder()
                .withMetadata(Owned.meta(nc, names.cluster(), "broker"))
                .withNewSpec()
                .withNewPodSelector().withMatchLabels(Labels.selector(names.cluster())).endPodSelector()
                .withPolicyTypes("Ingress")
                .withIngress(rule(ports.getClient(), clients),
                        rule(ports.getCluster(), List.of(new NetworkPolicyPeerBuilder()
                                .withNewPodSelector().withMatchLabels(Labels.selector(names.cluster())).endPodSelector().build())),
                        rule(ports.getMonitor(), monitors))
                .endSpec()
                .build();
    }

    /** An empty {@code from} admits every source. */
    private static NetworkPolicyIngressRule rule(int port, List<NetworkPolicyPeer> from) {
        return new NetworkPolicyIngressRuleBuilder().addNewPort().withPort(new IntOrString(port)).withProtocol("TCP").endPort()
                .withFrom(from.isEmpty() ? null : from).build();
    }
}
