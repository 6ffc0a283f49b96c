package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.jetstream.StreamKeeper;
import java.time.Instant;
import java.util.List;

/**
 * From the brokers' monitoring endpoints: meshed or not, and why. {@code oldestConfigLoad} is the
 * earliest {@code config_load_time} of the brokers when all answered (else null): what every
 * broker has certainly loaded. {@code brokers}: each broker's answer, which the operator's
 * per-broker metrics and the capacity check are made of (empty when not known).
 * {@code gateways}: the {@code GatewaysConnected} check (spec.gateway), null when not checked;
 * {@code leafNodes}: the {@code LeafNodesConnected} check (spec.leafnodes), likewise;
 * {@code streams}: Choria Streams as the keeper saw them (spec.streams), likewise.
 */
public record MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad, List<MeshChecker.BrokerView> brokers,
        GatewayChecker.GatewayObservation gateways, LeafChecker.LeafObservation leafNodes, StreamKeeper.Report streams) {
    public MeshObservation {
        brokers = brokers == null ? List.of() : List.copyOf(brokers);
    }

    public MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad, List<MeshChecker.BrokerView> brokers,
            GatewayChecker.GatewayObservation gateways, LeafChecker.LeafObservation leafNodes) {
        this(meshed, reason, message, oldestConfigLoad, brokers, gateways, leafNodes, null);
    }

    public MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad, List<MeshChecker.BrokerView> brokers) {
        this(meshed, reason, message, oldestConfigLoad, brokers, null, null);
    }

    public MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad) {
        this(meshed, reason, message, oldestConfigLoad, List.of(), null, null);
    }

    public MeshObservation(boolean meshed, Reason reason, String message) {
        this(meshed, reason, message, null, List.of(), null, null);
    }

    /** The brokers that answered, with their /varz: the capacity check's input. */
    public List<MeshChecker.BrokerView> answered() {
        return brokers.stream().filter(b -> b.varz() != null).toList();
    }

    /** With the {@code GatewaysConnected} check (spec.gateway); {@code gateways} null when not checked. */
    public MeshObservation withGateways(GatewayChecker.GatewayObservation gateways) {
        return new MeshObservation(meshed, reason, message, oldestConfigLoad, brokers, gateways, leafNodes, streams);
    }

    /** With the {@code LeafNodesConnected} check (spec.leafnodes); {@code leafNodes} null when not checked. */
    public MeshObservation withLeafNodes(LeafChecker.LeafObservation leafNodes) {
        return new MeshObservation(meshed, reason, message, oldestConfigLoad, brokers, gateways, leafNodes, streams);
    }

    /** With the {@code StreamsReady} look (spec.streams); {@code streams} null when not looked. */
    public MeshObservation withStreams(StreamKeeper.Report streams) {
        return new MeshObservation(meshed, reason, message, oldestConfigLoad, brokers, gateways, leafNodes, streams);
    }
}
