package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import java.util.ArrayList;
import java.util.List;

/** Every name the operator gives to what it creates for one NatsCluster, in one place. */
public record Names(String cluster, String namespace, String clusterDomain) {
    public static final String DEFAULT_CLUSTER_DOMAIN = "cluster.local";

    public static Names of(NatsCluster nc, String clusterDomain) {
        return new Names(nc.getMetadata().getName(), nc.getMetadata().getNamespace(), clusterDomain);
    }

    public String statefulSet() { return cluster; }
    public String clientService() { return cluster; }
    public String headlessService() { return cluster + "-headless"; }
    public String configMap() { return cluster + "-config"; }
    /** Generated when the user names no route password Secret. */
    public String routePasswordSecret() { return cluster + "-routes"; }
    /** Holds the route URLs, which carry the password, so it cannot be a ConfigMap. */
    public String routesConfigSecret() { return cluster + "-routes-config"; }
    public String tlsSecret() { return cluster + "-tls"; }
    public String podDisruptionBudget() { return cluster; }
    public String networkPolicy() { return cluster; }
    /** Choria's default broker host is puppet:4222. */
    public String puppetAliasService() { return "puppet"; }

    public String pod(int ordinal) { return cluster + "-" + ordinal; }

    /** Stable DNS name of one broker through the headless Service, with the cluster domain. */
    public String podFqdn(int ordinal) {
        return pod(ordinal) + "." + headlessService() + "." + namespace + ".svc." + clusterDomain;
    }

    /** Every DNS name a broker may be reached by, for the certificate's SANs (with the puppet alias when it is on). */
    public List<String> brokerDnsNames(int size, boolean puppetAlias) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            String base = pod(i) + "." + headlessService();
            names.add(base);
            names.add(base + "." + namespace);
            names.add(base + "." + namespace + ".svc");
            names.add(podFqdn(i));
        }
        List<String> services = new ArrayList<>(List.of(clientService(), headlessService()));
        if (puppetAlias) services.add(puppetAliasService());
        for (String svc : services) {
            names.add(svc);
            names.add(svc + "." + namespace);
            names.add(svc + "." + namespace + ".svc");
            names.add(svc + "." + namespace + ".svc." + clusterDomain);
        }
        return names;
    }
}
