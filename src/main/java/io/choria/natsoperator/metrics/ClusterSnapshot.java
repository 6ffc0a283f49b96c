package io.choria.natsoperator.metrics;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterStatus;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.status.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * What one reconcile saw of one NatsCluster, as the operator's metrics show it. Pure data, made
 * by {@link #of}; a null field is a series left out (not known), never a made-up zero.
 *
 * @param meshed              null when the mesh was not checked (no broker ready, or no probe)
 * @param certificateNotAfter null without TLS or before a first certificate
 * @param revocationLastSync  null unless Puppet enrolment enforces revocation and a sync succeeded
 * @param revocationMaxSyncAge null unless Puppet enrolment enforces revocation: spec.tls.puppet.maxSyncAgeSeconds
 * @param streams             Choria's streams as last seen (spec.streams), empty without them
 */
public record ClusterSnapshot(String namespace, String name, String uid, int desired, int ready, Boolean meshed,
        List<Broker> brokers, Instant certificateNotAfter, Duration renewBefore, Boolean certificateReady,
        Instant revocationLastSync, Integer revocationAdmitted, Instant observedAt, Integer capacityNodesPerBroker,
        Duration revocationMaxSyncAge, List<Stream> streams) {

    /** Without Choria Streams. */
    public ClusterSnapshot(String namespace, String name, String uid, int desired, int ready, Boolean meshed,
            List<Broker> brokers, Instant certificateNotAfter, Duration renewBefore, Boolean certificateReady,
            Instant revocationLastSync, Integer revocationAdmitted, Instant observedAt, Integer capacityNodesPerBroker,
            Duration revocationMaxSyncAge) {
        this(namespace, name, uid, desired, ready, meshed, brokers, certificateNotAfter, renewBefore, certificateReady,
                revocationLastSync, revocationAdmitted, observedAt, capacityNodesPerBroker, revocationMaxSyncAge, List.of());
    }

    /** Without the revocation limit. */
    public ClusterSnapshot(String namespace, String name, String uid, int desired, int ready, Boolean meshed,
            List<Broker> brokers, Instant certificateNotAfter, Duration renewBefore, Boolean certificateReady,
            Instant revocationLastSync, Integer revocationAdmitted, Instant observedAt, Integer capacityNodesPerBroker) {
        this(namespace, name, uid, desired, ready, meshed, brokers, certificateNotAfter, renewBefore, certificateReady,
                revocationLastSync, revocationAdmitted, observedAt, capacityNodesPerBroker, null);
    }

    /** Without spec.capacity. */
    public ClusterSnapshot(String namespace, String name, String uid, int desired, int ready, Boolean meshed,
            List<Broker> brokers, Instant certificateNotAfter, Duration renewBefore, Boolean certificateReady,
            Instant revocationLastSync, Integer revocationAdmitted, Instant observedAt) {
        this(namespace, name, uid, desired, ready, meshed, brokers, certificateNotAfter, renewBefore, certificateReady,
                revocationLastSync, revocationAdmitted, observedAt, null, null);
    }

    /** One broker's /varz, or {@code up=false} when it did not answer; {@code storeLimitBytes} 0 without JetStream. */
    public record Broker(String pod, boolean up, int routePeers, int expectedPeers, int connections, int maxConnections,
            long slowConsumers, long memBytes, long storeBytes, long storeLimitBytes) {
        public Broker(String pod, boolean up, int routePeers, int expectedPeers, int connections, int maxConnections,
                long slowConsumers, long memBytes) {
            this(pod, up, routePeers, expectedPeers, connections, maxConnections, slowConsumers, memBytes, 0, 0);
        }
    }

    /**
     * The Puppet sync's figures, from the reconciler's RevocationEnforcement: {@code lastSync} and {@code admitted} null
     * before a first sync; {@code maxSyncAge} the limit on the age of the list (spec.tls.puppet.maxSyncAgeSeconds).
     */
    public record Revocation(Instant lastSync, Integer admitted, Duration maxSyncAge) {}

    public ClusterSnapshot {
        brokers = List.copyOf(brokers);
        streams = streams == null ? List.of() : List.copyOf(streams);
    }

    /** One of Choria's streams as the operator last saw it (spec.streams): replicas current against wanted, its size. */
    public record Stream(String name, int replicas, int current, long messages, long bytes) {}

    /** The streams of {@code mesh} (spec.streams and a look that answered), else none. */
    public static List<Stream> streams(MeshObservation mesh) {
        if (mesh == null || mesh.streams() == null || mesh.streams().error() != null) return List.of();
        return mesh.streams().streams().stream().map(s -> new Stream(s.name(), s.replicas(), s.current(), s.messages(), s.bytes())).toList();
    }

    /** {@code nc} is the defaulted spec; {@code revocation} null when not enforced. */
    public static ClusterSnapshot of(NatsCluster nc, NatsClusterStatus status, MeshObservation mesh, Revocation revocation, Instant now) {
        int size = nc.getSpec().getSize();
        List<Broker> brokers = new ArrayList<>();
        if (mesh != null) {
            for (MeshChecker.BrokerView v : mesh.brokers()) {
                var z = v.varz();
                brokers.add(z == null ? new Broker(v.broker(), false, 0, size - 1, 0, 0, 0, 0)
                        : new Broker(v.broker(), true, z.remotes(), size - 1, z.connections(), z.maxConnections(), z.slowConsumers(), z.memBytes(),
                                z.storeBytes(), z.maxStoreBytes()));
            }
        }
        Instant notAfter = null;
        if (status.getCertificate() != null && status.getCertificate().notAfter() != null) {
            try {
                notAfter = OffsetDateTime.parse(status.getCertificate().notAfter()).toInstant();
            } catch (DateTimeParseException e) {
                notAfter = null;
            }
        }
        var tls = nc.getSpec().getTls();
        Duration renewBefore = tls == null ? null : Duration.ofDays(tls.getRenewBeforeDays());
        Boolean certReady = tls == null ? null : Conditions.find(status.getConditions(), Conditions.CERTIFICATE_READY)
                .map(c -> "True".equals(c.getStatus())).orElse(null);
        return new ClusterSnapshot(nc.getMetadata().getNamespace(), nc.getMetadata().getName(), nc.getMetadata().getUid(), size,
                status.getReadyReplicas() == null ? 0 : status.getReadyReplicas(), mesh == null ? null : mesh.meshed(), brokers,
                notAfter, renewBefore, certReady, revocation == null ? null : revocation.lastSync(),
                revocation == null ? null : revocation.admitted(), now,
                nc.getSpec().getCapacity() == null ? null : nc.getSpec().getCapacity().getNodesPerBroker(),
                revocation == null ? null : revocation.maxSyncAge(), streams(mesh));
    }
}
