package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import java.util.ArrayList;
import java.util.List;

/**
 * Every name the operator gives to what it creates for one NatsCluster, in one place, and every
 * DNS name and {@code host:port} built from them.
 */
public record Names(String cluster, String namespace, String clusterDomain) {
    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";
    /** What the headless Service's name adds to the cluster's; a broker's DNS label holds both. */
    public static final String HEADLESS_SUFFIX = "-headless";

    public static Names of(NatsCluster nc, String clusterDomain) {
        return new Names(nc.getMetadata().getName(), nc.getMetadata().getNamespace(), clusterDomain);
    }

    public String statefulSet() { return cluster; }
    public String clientService() { return cluster; }
    public String headlessService() { return cluster + HEADLESS_SUFFIX; }
    public String configMap() { return cluster + "-config"; }
    /** The pinned list's manifest (see PinnedList). */
    public String pinnedListManifest() { return cluster + "-pinned"; }
    /** Part {@code i} of the pinned list: the keys beginning with hex digit {@code i}. */
    public String pinnedListPart(int i) { return cluster + "-pinned-" + PinnedList.partName(i); }
    /** Generated when the user names no route password Secret. */
    public String routePasswordSecret() { return cluster + "-routes"; }
    /** Holds the route URLs, which carry the password, so it cannot be a ConfigMap. */
    public String routesConfigSecret() { return cluster + "-routes-config"; }
    public String tlsSecret() { return cluster + "-tls"; }
    /** The system account's user and password (spec.streams), for `nats` and `choria broker server` commands. */
    public String systemAccountSecret() { return cluster + "-system-account"; }
    /** The pending key and CSR while the Puppet CA has not signed it yet (enrolment mode). */
    public String certificateRequestSecret() { return cluster + "-tls-request"; }
    public String podDisruptionBudget() { return cluster; }
    public String networkPolicy() { return cluster; }
    public String podMonitor() { return cluster; }
    /** Leaf node connections from edge sites (spec.leafnodes, when accepting). */
    public String leafNodesService() { return cluster + "-leafnodes"; }
    /** Gateway traffic from other sites (spec.gateway). */
    public String gatewayService() { return cluster + "-gateway"; }
    /** Choria's default broker host is puppet:4222. */
    public String puppetAliasService() { return "puppet"; }

    public String pod(int ordinal) { return cluster + "-" + ordinal; }

    /** {@code host:port}. */
    public static String hostPort(String host, int port) {
        return host + ":" + port;
    }

    /** {@code <name>.<namespace>}: a Service (or a pod's headless-Service name) as seen from another namespace. */
    private String inNamespace(String name) {
        return name + "." + namespace;
    }

    /** {@code <service>.<namespace>.svc}, without the cluster domain. */
    public String serviceHost(String service) {
        return inNamespace(service) + ".svc";
    }

    /** {@code <service>.<namespace>.svc.<cluster domain>}. */
    public String serviceFqdn(String service) {
        return serviceHost(service) + "." + clusterDomain;
    }

    /** The client Service in-cluster, {@code <name>.<namespace>.svc}. */
    public String clientServiceHost() {
        return serviceHost(clientService());
    }

    /** {@code <scheme>://<name>.<namespace>.svc:<port>}: the client Service as a URL. */
    public String clientServiceUrl(String scheme, int port) {
        return scheme + "://" + hostPort(clientServiceHost(), port);
    }

    /** The broker certificate's common name: the client Service's host, or its bare name when that exceeds the 64 characters a CN may hold. */
    public String certificateCommonName() {
        String cn = clientServiceHost();
        return cn.length() <= 64 ? cn : clientService();
    }

    /** {@code <pod>.<name>-headless}: one broker through the headless Service, within its namespace. */
    private String podInHeadlessService(int ordinal) {
        return pod(ordinal) + "." + headlessService();
    }

    /** One broker through the headless Service, {@code <pod>.<name>-headless.<namespace>.svc}, without the cluster domain. */
    public String podHost(int ordinal) {
        return serviceHost(podInHeadlessService(ordinal));
    }

    /** Stable DNS name of one broker through the headless Service, with the cluster domain. */
    public String podFqdn(int ordinal) {
        return serviceFqdn(podInHeadlessService(ordinal));
    }

    /** {@code <pod fqdn>:<port>}: one broker's address, e.g. for its routes or its monitoring endpoint. */
    public String podAddress(int ordinal, int port) {
        return hostPort(podFqdn(ordinal), port);
    }

    /** {@code <other>-gateway.<namespace>.svc.<domain>}: the gateway Service of another NatsCluster, for a natsClusterRef remote. */
    public String gatewayServiceFqdnOf(String otherCluster, String otherNamespace) {
        Names other = new Names(otherCluster, otherNamespace == null || otherNamespace.isEmpty() ? namespace : otherNamespace, clusterDomain);
        return other.serviceFqdn(other.gatewayService());
    }

    public List<String> brokerDnsNames(int size, boolean puppetAlias) {
        return brokerDnsNames(size, puppetAlias, false, false);
    }

    public List<String> brokerDnsNames(int size, boolean puppetAlias, boolean gateway) {
        return brokerDnsNames(size, puppetAlias, gateway, false);
    }

    /** Every DNS name a broker may be reached by, for the certificate's SANs (with the puppet alias and the gateway Service when on). */
    public List<String> brokerDnsNames(int size, boolean puppetAlias, boolean gateway, boolean leafNodes) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String base = podInHeadlessService(i);
            names.add(base);
            names.add(inNamespace(base));
            names.add(podHost(i));
            names.add(podFqdn(i));
        }
        List<String> services = new ArrayList<>(List.of(clientService(), headlessService()));
        if (puppetAlias) services.add(puppetAliasService());
        // Other sites dial the gateway Service by name and verify it against the certificate.
        if (gateway) services.add(gatewayService());
        // Edge sites dial the leaf node Service by name and verify it, as other sites do the gateway.
        if (leafNodes) services.add(leafNodesService());
        for (String svc : services) {
            names.add(svc);
            names.add(inNamespace(svc));
            names.add(serviceHost(svc));
            names.add(serviceFqdn(svc));
        }
        return names;
    }
}
