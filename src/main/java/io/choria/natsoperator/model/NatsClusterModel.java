package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.Secret;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pure heart of the operator: a defaulted, valid NatsCluster plus its inputs becomes the
 * objects to apply. No I/O here; the reconciler and {@code render} both call it.
 */
public final class NatsClusterModel {
    private NatsClusterModel() {}

    public static DesiredCluster desired(NatsCluster nc, ModelInputs in) {
        return desired(nc, in, BrokerPaths.POD);
    }

    public static DesiredCluster desired(NatsCluster nc, ModelInputs in, BrokerPaths paths) {
        Names names = Names.of(nc, in.clusterDomain());
        Secret tls = null;
        if (nc.getSpec().getTls() != null) {
            if (in.tls() == null) throw new IllegalArgumentException("spec.tls is set but no certificate was given");
            tls = BrokerSecrets.secret(nc, names.tlsSecret(), "tls", "kubernetes.io/tls", Map.of(
                    "tls.crt", in.tls().certificateChainPem(),
                    "tls.key", in.tls().privateKeyPem(),
                    "ca.crt", in.tls().caBundlePem()));
        }
        return new DesiredCluster(
                BrokerSecrets.config(nc, names, paths, in.pinnedList() != null, in.portPinnedCerts()),
                BrokerSecrets.routesConfig(nc, names, in.routePassword()),
                tls,
                BrokerServices.headless(nc, names),
                BrokerServices.client(nc, names),
                Boolean.TRUE.equals(nc.getSpec().getService().getPuppetAlias()) ? BrokerServices.puppetAlias(nc, names) : null,
                BrokerDisruptionBudget.of(nc, names),
                Boolean.TRUE.equals(nc.getSpec().getNetworkPolicy().getEnabled()) ? BrokerNetworkPolicy.of(nc, names, in.installer()) : null,
                BrokerStatefulSet.of(nc, names, paths, in.installer(), in.portPinnedCerts(), in.pinnedList() != null),
                in.certificateRequest() != null ? BrokerSecrets.certificateRequest(nc, names, in.certificateRequest()) : null,
                nc.getSpec().getGateway() != null ? BrokerServices.gateway(nc, names) : null,
                accepting(nc) ? BrokerServices.leafNodes(nc, names) : null,
                in.pinnedList() != null ? BrokerSecrets.pinnedList(nc, names, in.pinnedList(), in.routePassword()) : List.of(),
                ChoriaAccounts.enabled(nc.getSpec()) ? BrokerSecrets.systemAccount(nc, names, in.routePassword()) : null);
    }

    /** The SANs the broker certificate must carry: every broker, both Services, and extraSANs. */
    public static List<String> certificateDnsNames(NatsCluster nc, String clusterDomain) {
        // A LinkedHashSet keeps the order and drops repeats in linear time (a List's contains made it quadratic).
        var gateway = nc.getSpec().getGateway();
        Set<String> sans = new LinkedHashSet<>(Names.of(nc, clusterDomain).brokerDnsNames(nc.getSpec().getSize(),
                Boolean.TRUE.equals(nc.getSpec().getService().getPuppetAlias()), gateway != null, accepting(nc)));
        if (nc.getSpec().getTls() != null) sans.addAll(nc.getSpec().getTls().getExtraSANs());
        // The advertised gateway host (e.g. a LoadBalancer's external name) is what other sites verify.
        String advertisedHost = gateway == null ? null : advertisedHost(gateway.getAdvertise());
        if (advertisedHost != null) sans.add(advertisedHost);
        return new ArrayList<>(sans);
    }

    /** spec.leafnodes asks the brokers to listen for leaf nodes. */
    public static boolean accepting(NatsCluster nc) {
        return nc.getSpec().getLeafnodes() != null && nc.getSpec().getLeafnodes().accepting();
    }

    /** The host of {@code spec.gateway.advertise} ({@code host:port}, or a bare host), or null. */
    static String advertisedHost(String advertise) {
        if (advertise == null || advertise.isEmpty()) return null;
        int colon = advertise.lastIndexOf(':');
        return colon > 0 && advertise.indexOf(':') == colon ? advertise.substring(0, colon) : advertise;
    }

    /** For status.clientURLs: the client Service, in-cluster. */
    public static List<String> clientUrls(NatsCluster nc) {
        String scheme = nc.getSpec().getTls() != null ? "tls" : "nats";
        return List.of(Names.of(nc, Names.DEFAULT_CLUSTER_DOMAIN).clientServiceUrl(scheme, nc.getSpec().getPorts().getClient()));
    }

    /** For status.middlewareHosts, the value of plugin.choria.middleware_hosts. */
    public static String middlewareHosts(NatsCluster nc) {
        Names names = Names.of(nc, Names.DEFAULT_CLUSTER_DOMAIN);
        List<String> hosts = new ArrayList<>();
        for (int i = 0; i < nc.getSpec().getSize(); i++) {
            hosts.add(Names.hostPort(names.podHost(i), nc.getSpec().getPorts().getClient()));
        }
        return String.join(",", hosts);
    }
}
