package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;

/** The two Services of a cluster: headless for the routes, and the client Service. */
public final class BrokerServices {
    private BrokerServices() {}

    /** Gives every broker a stable DNS name, published before it is ready so the mesh can form. */
    public static Service headless(NatsCluster nc, Names names) {
        NatsClusterSpec spec = nc.getSpec();
        return new ServiceBuilder()
                .withMetadata(Owned.meta(nc, names.headlessService(), "routes"))
                .withNewSpec()
                .withClusterIP("None")
                .withPublishNotReadyAddresses(true)
                .withSelector(Labels.selector(names.cluster()))
                .addNewPort().withName("cluster").withPort(spec.getPorts().getCluster())
                .withTargetPort(new IntOrString("cluster")).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }

    /** The optional {@code puppet} Service: the brokers' client port under Choria's default broker name. */
    public static Service puppetAlias(NatsCluster nc, Names names) {
        return new ServiceBuilder()
                .withMetadata(Owned.meta(nc, names.puppetAliasService(), "client"))
                .withNewSpec()
                .withSelector(Labels.selector(names.cluster()))
                .addNewPort().withName("client").withPort(nc.getSpec().getPorts().getClient())
                .withTargetPort(new IntOrString("client")).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }

    /** Gateway traffic from the other sites: the gateway port only, optionally a LoadBalancer. */
    public static Service gateway(NatsCluster nc, Names names) {
        var gw = nc.getSpec().getGateway();
        return onePort(nc, names, names.gatewayService(), "gateway", gw.getPort(), gw.getServiceType(), gw.getServiceAnnotations());
    }

    /**
     * Leaf node connections from edge sites. A Service of its own, not a port on the client
     * Service: edges often sit where Puppet nodes do not (another network, behind a load balancer
     * of their own), so its type and annotations are chosen apart, and a ClusterIP client Service
     * stays as it is when an edge needs a LoadBalancer.
     */
    public static Service leafNodes(NatsCluster nc, Names names) {
        var leaf = nc.getSpec().getLeafnodes();
        return onePort(nc, names, names.leafNodesService(), "leafnodes", leaf.getPort(), leaf.getServiceType(), leaf.getServiceAnnotations());
    }

    private static Service onePort(NatsCluster nc, Names names, String name, String port, int number, io.choria.natsoperator.api.ServiceSpec.Type type,
            java.util.Map<String, String> annotations) {
        return new ServiceBuilder()
                .withMetadata(Owned.meta(nc, name, port, annotations))
                .withNewSpec()
                .withType(type.name())
                .withSelector(Labels.selector(names.cluster()))
                .addNewPort().withName(port).withPort(number)
                .withTargetPort(new IntOrString(port)).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }

    /** Only the client port: monitoring is never exposed through it. */
    public static Service client(NatsCluster nc, Names names) {
        NatsClusterSpec spec = nc.getSpec();
        return new ServiceBuilder()
                .withMetadata(Owned.meta(nc, names.clientService(), "client", spec.getService().getAnnotations()))
                .withNewSpec()
                .withType(spec.getService().getType().name())
                .withSelector(Labels.selector(names.cluster()))
                .addNewPort().withName("client").withPort(spec.getPorts().getClient())
                .withTargetPort(new IntOrString("client")).withProtocol("TCP").endPort()
                .endSpec()
                .build();
    }
}
