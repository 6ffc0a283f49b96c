package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.jetstream.StreamsChecker;
import java.net.URI;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * How the operator learns whether a cluster's brokers form the full mesh (and reach the other sites):
 * called by the {@link MeshPoller} on its own threads, never by the reconcile; one call is one look.
 */
@FunctionalInterface
public interface MeshProbe {
    /** {@code nc} is the defaulted spec. */
    MeshObservation check(NatsCluster nc);

    /** In a cluster: every broker's monitoring port by its stable DNS name; with spec.streams, the streams as the brokers' {@code identity}. */
    static MeshProbe pods(String clusterDomain, Function<NatsCluster, io.choria.natsoperator.jetstream.BrokerAccess> identity) {
        return pods(clusterDomain, host -> host, LeafChecker::resolve, identity);
    }

    /**
     * The same, with each broker's DNS name translated by {@code resolve}, and a leaf remote's host
     * name by {@code addresses}: {@code local} runs the brokers in network namespaces whose names
     * only their own hosts file knows.
     */
    static MeshProbe pods(String clusterDomain, java.util.function.UnaryOperator<String> resolve,
            Function<String, java.util.Set<String>> addresses, Function<NatsCluster, io.choria.natsoperator.jetstream.BrokerAccess> identity) {
        return withStreams(monitoring(nc -> MeshChecker.podMonitorUris(nc, clusterDomain, resolve), new LeafChecker(new MonitorClient(), addresses)),
                new StreamsChecker(clusterDomain, resolve, identity));
    }

    /** {@code probe}, and with spec.streams Choria's streams kept and looked at by {@code streams}. */
    static MeshProbe withStreams(MeshProbe probe, StreamsChecker streams) {
        return nc -> {
            MeshObservation mesh = probe.check(nc);
            return nc.getSpec().getStreams() == null ? mesh : mesh.withStreams(streams.check(nc));
        };
    }

    /**
     * The routes (/varz), and with spec.gateway the gateways (/gatewayz), with spec.leafnodes the
     * leaf nodes (/leafz), of the brokers at {@code uris}: the path {@link #pods} takes, for tests
     * whose brokers listen elsewhere (loopback).
     */
    static MeshProbe monitoring(Function<NatsCluster, IntFunction<URI>> uris, LeafChecker leafs) {
        MeshChecker checker = new MeshChecker();
        GatewayChecker gateways = new GatewayChecker();
        return nc -> {
            IntFunction<URI> at = uris.apply(nc);
            MeshObservation mesh = checker.check(nc, at);
            if (nc.getSpec().getGateway() != null) mesh = mesh.withGateways(gateways.check(nc, at));
            if (nc.getSpec().getLeafnodes() != null) mesh = mesh.withLeafNodes(leafs.check(nc, at));
            return mesh;
        };
    }
}
