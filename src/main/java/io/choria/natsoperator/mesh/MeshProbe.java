package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshObservation;

/** How the reconciler learns whether a cluster's brokers form the full mesh. */
@FunctionalInterface
public interface MeshProbe {
    /** {@code nc} is the defaulted spec. */
    MeshObservation check(NatsCluster nc);

    /** In a cluster: every broker's monitoring port by its stable DNS name. */
    static MeshProbe pods(String clusterDomain) {
        return pods(clusterDomain, host -> host);
    }

    /**
     * The same, with each broker's DNS name translated by {@code resolve}: {@code local} runs the
     * brokers in network namespaces whose names only their own hosts file knows.
     */
    static MeshProbe pods(String clusterDomain, java.util.function.UnaryOperator<String> resolve) {
        MeshChecker checker = new MeshChecker();
        GatewayChecker gateways = new GatewayChecker();
        return nc -> {
            var uris = MeshChecker.podMonitorUris(nc, clusterDomain, resolve);
            MeshObservation mesh = checker.check(nc, uris);
            return nc.getSpec().getGateway() == null ? mesh : mesh.withGateways(gateways.check(nc, uris));
        };
    }
}
