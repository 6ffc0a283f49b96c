package io.choria.natsoperator.status;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterStatus;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.ImageShell;
import io.choria.natsoperator.model.NatsClusterModel;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Pure: a NatsCluster, its previous status and what was observed become the new status. */
public final class StatusCalculator {
    /** Brokers may be unready this long (a rollout, a node drain) before the cluster counts as Degraded. */
    public static final Duration DEGRADED_GRACE = Duration.ofMinutes(5);

    private StatusCalculator() {}

    /**
     * Written when the list in force changes, and otherwise kept: a sync that finds the same list must not rewrite the
     * status. Before this operator has changed the list (a restart), what the status says stands; with nothing there
     * either (a cluster from before this field), the last good sync.
     */
    private static String revocationListSyncedAt(Observation.RevocationObservation r, NatsClusterStatus previous) {
        if (r.reason() == Reason.RevocationDisabled) return null;
        if (r.listChangedAt() != null) return r.listChangedAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        if (previous.getRevocationListSyncedAt() != null) return previous.getRevocationListSyncedAt();
        return r.lastSync() == null ? null : r.lastSync().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    public static NatsClusterStatus compute(NatsCluster nc, Observation seen, Instant now) {
        NatsClusterStatus previous = nc.getStatus() != null ? nc.getStatus() : new NatsClusterStatus();
        List<Condition> prev = previous.getConditions();
        Long gen = nc.getMetadata().getGeneration();
        int size = nc.getSpec().getSize();

        NatsClusterStatus s = new NatsClusterStatus();
        s.setObservedGeneration(gen);
        s.setSize(size);
        s.setClientURLs(NatsClusterModel.clientUrls(nc));
        s.setMiddlewareHosts(NatsClusterModel.middlewareHosts(nc));
        s.setCertificate(nc.getSpec().getTls() == null ? null
                : seen.certificate() != null && seen.certificate().status() != null ? seen.certificate().status() : previous.getCertificate());

        StatefulSet sts = seen.statefulSet();
        StatefulSetStatus st = sts != null && sts.getStatus() != null ? sts.getStatus() : new StatefulSetStatus();
        // A StatefulSet made anew (spec.streams: deleted orphaning its pods, then created) is absent for a moment and
        // then has no status until its controller writes one, while the pods keep serving: until then the count last
        // seen stands, said as such, rather than a 0 that no broker caused.
        boolean noStatusYet = sts == null || sts.getStatus() == null || sts.getStatus().getObservedGeneration() == null;
        boolean lastSeen = noStatusYet && nz(previous.getReadyReplicas()) > 0;
        int ready = lastSeen ? previous.getReadyReplicas() : nz(st.getReadyReplicas());
        s.setReadyReplicas(ready);
        s.setReady(ready + "/" + size);

        List<Condition> conditions = new ArrayList<>();
        // Certificate
        if (seen.certificate() != null) {
            conditions.add(Conditions.of(Conditions.CERTIFICATE_READY, seen.certificate().ready(), seen.certificate().reason(),
                    seen.certificate().message(), gen, prev, now));
        } else if (nc.getSpec().getTls() == null) {
            conditions.add(Conditions.of(Conditions.CERTIFICATE_READY, false, Reason.TlsNotConfigured,
                    "spec.tls is not set: brokers serve clients and routes without TLS (insecure)", gen, prev, now));
        }
        if (seen.revocation() != null) {
            conditions.add(Conditions.of(Conditions.REVOCATION_ENFORCED, seen.revocation().enforced(), seen.revocation().reason(),
                    seen.revocation().message(), gen, prev, now));
            s.setRevocationListSyncedAt(revocationListSyncedAt(seen.revocation(), previous));
        } else if (nc.getSpec().getTls() != null && nc.getSpec().getTls().getPuppet() != null
                && Boolean.TRUE.equals(nc.getSpec().getTls().getPuppet().getEnforceRevocation())) {
            // Not looked at in this pass (an input problem stopped it first): the list in force has not changed.
            s.setRevocationListSyncedAt(previous.getRevocationListSyncedAt());
        }
        // Progressing
        Reason progress = progress(sts, size);
        boolean blocked = seen.problem() != null;
        if (blocked) {
            conditions.add(Conditions.of(Conditions.PROGRESSING, false, Reason.Blocked,
                    "waiting for the problem in the Ready condition to be fixed", gen, prev, now));
        } else {
            conditions.add(Conditions.of(Conditions.PROGRESSING, progress != Reason.Stable, progress,
                    progressMessage(progress, sts, st, size), gen, prev, now));
        }
        // Ready
        boolean brokersReady = sts != null && allReady(sts, size);
        Condition readyCond;
        if (blocked) {
            readyCond = Conditions.of(Conditions.READY, false, seen.problem().reason(), seen.problem().getMessage(), gen, prev, now);
        } else if (brokersReady) {
            String msg = size + "/" + size + " brokers ready";
            if (nc.getSpec().getTls() == null) msg += "; spec.tls is not set, so clients connect without TLS (insecure)";
            readyCond = Conditions.of(Conditions.READY, true, Reason.BrokersReady, msg, gen, prev, now);
        } else {
            readyCond = Conditions.of(Conditions.READY, false, Reason.BrokersNotReady,
                    ready + "/" + size + " brokers ready" + (lastSeen ? " when last seen (the StatefulSet is being made anew"
                            + (sts == null ? ")" : " and has no status yet)")
                            : sts == null ? " (no StatefulSet yet)" : noStatusYet ? " (the StatefulSet has no status yet)" : ""),
                    gen, prev, now);
        }
        conditions.add(0, readyCond);
        // Mesh
        if (seen.mesh() != null) {
            conditions.add(Conditions.of(Conditions.ROUTES_MESHED, seen.mesh().meshed(), seen.mesh().reason(),
                    seen.mesh().message(), gen, prev, now));
            var gw = seen.mesh().gateways();
            if (gw != null) conditions.add(Conditions.of(Conditions.GATEWAYS_CONNECTED, gw.connected(), gw.reason(), gw.message(), gen, prev, now));
            var leaf = seen.mesh().leafNodes();
            if (leaf != null) conditions.add(Conditions.of(Conditions.LEAF_NODES_CONNECTED, leaf.connected(), leaf.reason(), leaf.message(), gen, prev, now));
            if (seen.mesh().streams() != null && nc.getSpec().getStreams() != null) {
                StreamsVerdict v = StreamsVerdict.of(nc, seen.mesh());
                conditions.add(Conditions.of(Conditions.STREAMS_READY, v.ready(), v.reason(), v.message(), gen, prev, now));
            }
        } else if (seen.meshUnknown() != null) {
            conditions.add(unknown(Conditions.ROUTES_MESHED, seen.meshUnknown(), gen, prev, now));
            if (nc.getSpec().getGateway() != null) conditions.add(unknown(Conditions.GATEWAYS_CONNECTED, seen.meshUnknown(), gen, prev, now));
            if (nc.getSpec().getLeafnodes() != null) conditions.add(unknown(Conditions.LEAF_NODES_CONNECTED, seen.meshUnknown(), gen, prev, now));
            if (nc.getSpec().getStreams() != null) conditions.add(unknown(Conditions.STREAMS_READY, seen.meshUnknown(), gen, prev, now));
        }
        capacity(nc, seen.mesh(), gen, prev, now, s, seen.meshUnknown(), previous, seen.revocation() == null ? -1 : seen.revocation().users())
                .ifPresent(conditions::add);
        // Degraded: unready past the grace period, or the mesh broken while the brokers are up.
        boolean unreadyTooLong = !blocked && !"True".equals(readyCond.getStatus())
                && Instant.parse(readyCond.getLastTransitionTime()).plus(DEGRADED_GRACE).isBefore(now);
        // A broker the operator cannot reach says more about the operator's network than the mesh.
        boolean meshBroken = seen.mesh() != null && !seen.mesh().meshed() && brokersReady
                && !Reason.BrokerUnreachable.equals(seen.mesh().reason());
        // Until the brokers are seen again (after a restart, a spec change), a broken mesh stays reported as it was last seen.
        var lastMeshBroken = seen.mesh() == null && seen.meshUnknown() != null && seen.meshUnknown().keepLast() && brokersReady
                ? Conditions.find(prev, Conditions.DEGRADED).filter(c -> "True".equals(c.getStatus())
                        && (Reason.RoutesIncomplete.name().equals(c.getReason()) || Reason.UnexpectedPeers.name().equals(c.getReason())))
                : java.util.Optional.<Condition>empty();
        if (unreadyTooLong) {
            conditions.add(Conditions.of(Conditions.DEGRADED, true, Reason.BrokersUnavailable, ready + "/" + size
                    + " brokers ready for longer than " + DEGRADED_GRACE.toMinutes() + " minutes", gen, prev, now));
        } else if (meshBroken) {
            conditions.add(Conditions.of(Conditions.DEGRADED, true, seen.mesh().reason(), seen.mesh().message(), gen, prev, now));
        } else if (lastMeshBroken.isPresent()) {
            conditions.add(lastMeshBroken.get());
        } else {
            conditions.add(Conditions.of(Conditions.DEGRADED, false, Reason.AsExpected, "no fault seen", gen, prev, now));
        }
        // The brokers run, with the kernel's own values: a condition of its own, so Ready keeps
        // meaning "brokers ready" and the refusal is still visible (and a Warning Event).
        if (seen.sysctlsRefused()) {
            conditions.add(Conditions.of(Conditions.SYSCTLS_APPLIED, false, Reason.PrivilegedSysctlsDisabled,
                    "spec.sysctls.mode is InitContainer, but this operator's installer has turned privileged sysctls off"
                    + " (--allow-privileged-sysctls=false): the brokers run without the sysctl init container, with the"
                    + " kernel's somaxconn and tcp_max_syn_backlog; set spec.sysctls.mode: None to acknowledge, or ask the"
                    + " operator's installer", gen, prev, now));
        }
        // Not in Ready's way: the brokers serve whether Prometheus scrapes them or not.
        if (seen.podMonitor() != null) {
            conditions.add(Conditions.of(Conditions.POD_MONITOR_READY, seen.podMonitor().ready(), seen.podMonitor().reason(),
                    seen.podMonitor().message(), gen, prev, now));
        }
        // Image: a warning, not a refusal (see ImageShell): the brokers may still run, and a custom image named nats may have sh.
        if (ImageShell.knownWithoutShell(nc.getSpec().getImage())) {
            conditions.add(Conditions.of(Conditions.IMAGE_HAS_SHELL, false, Reason.ImageLacksShell, "spec.image '" + nc.getSpec().getImage()
                    + "' looks like the official scratch-based nats image, which has no /bin/sh: the preStop hook (lame-duck mode),"
                    + " the config reloader and the sysctl init container run sh and would fail (exec: \"sh\": executable file not"
                    + " found); use an -alpine tag (e.g. " + io.choria.natsoperator.api.NatsClusterSpec.DEFAULT_IMAGE
                    + ") or an image with sh, cat, md5sum, sleep and nats-server", gen, prev, now));
        }
        // A warning too: the brokers serve; the next restart's storm is what it is about.
        io.choria.natsoperator.model.StormTuning.slowSettings(nc.getSpec()).ifPresent(why ->
                conditions.add(Conditions.of(Conditions.STORM_TUNED, false, Reason.SlowStormSettings, why, gen, prev, now)));
        s.setConditions(conditions);
        s.setPhase(readyCond.getReason());
        return s;
    }

    /**
     * A mesh-derived condition while no observation can be reported: the one written from the last
     * observation while none was made for this spec yet (a restart, a spec change: the poll follows
     * within moments, and rewriting the status twice would say nothing new), else Unknown.
     */
    private static Condition unknown(String type, Observation.MeshUnknown why, Long gen, List<Condition> prev, Instant now) {
        if (why.keepLast()) {
            var last = Conditions.find(prev, type);
            if (last.isPresent() && !Conditions.UNKNOWN.equals(last.get().getStatus())) return last.get();
        }
        return Conditions.unknown(type, why.reason(), why.message(), gen, prev, now);
    }

    /**
     * What of a mesh observation the status is made of, for {@link io.choria.natsoperator.mesh.MeshPoller}:
     * equal verdicts write the same conditions. Not the timestamps, nor the brokers' figures that move on
     * every poll (connections, memory): those refresh at the next resync; only whether they cross the
     * capacity threshold counts.
     */
    public static Object meshVerdict(NatsCluster nc, io.choria.natsoperator.mesh.MeshObservation mesh) {
        if (mesh == null) return null;
        String capacity = capacity(nc, mesh, null, List.of(), Instant.EPOCH, new NatsClusterStatus(), null, null, -1)
                .map(c -> c.getStatus() + " " + c.getReason()).orElse(null);
        // The streams' verdict, not the report: message counts and sizes move all the time, a changed verdict reconciles.
        StreamsVerdict streams = mesh.streams() == null || nc.getSpec().getStreams() == null ? null : StreamsVerdict.of(nc, mesh);
        return java.util.Arrays.asList(mesh.meshed(), mesh.reason(), mesh.message(), mesh.gateways(), mesh.leafNodes(),
                mesh.oldestConfigLoad(), capacity, streams);
    }

    /**
     * With spec.capacity: resources below what it needs (explicit ones win, but are flagged), else any
     * broker at warnPercent of its connections or of its memory limit, named with its numbers. While
     * the brokers' load is not known ({@code unknown}), what the last observation said, or Unknown
     * when it is too old.
     */
    static java.util.Optional<Condition> capacity(NatsCluster nc, io.choria.natsoperator.mesh.MeshObservation mesh, Long gen,
            List<Condition> prev, Instant now, NatsClusterStatus s, Observation.MeshUnknown unknown, NatsClusterStatus previous, int users) {
        var sizing = io.choria.natsoperator.model.BrokerCapacity.of(nc.getSpec());
        // spec.authorization: the users of the last sync against the memory limit (with or without capacity).
        var usersShortfall = io.choria.natsoperator.model.BrokerCapacity.usersShortfall(nc.getSpec(), users,
                io.choria.natsoperator.model.BrokerStatefulSet.memoryLimitBytes(nc.getSpec()));
        if (usersShortfall.isPresent()) {
            return java.util.Optional.of(Conditions.of(Conditions.CAPACITY_AVAILABLE, false, Reason.ResourcesBelowCapacity, usersShortfall.get(),
                    gen, prev, now));
        }
        if (users < 0 && nc.getSpec().getAuthorization() != null) {
            // Not counted yet (the operator restarted, the first sync is under way): what the last count said stays.
            var last = Conditions.find(prev, Conditions.CAPACITY_AVAILABLE).filter(c -> c.getMessage() != null
                    && c.getMessage().contains(io.choria.natsoperator.model.BrokerCapacity.USERS_SHORTFALL_MARK));
            if (last.isPresent()) return last;
        }
        if (sizing.isEmpty()) return java.util.Optional.empty();
        int capacity = sizing.get().nodesPerBroker();
        int warn = nc.getSpec().getCapacity().getWarnPercent();
        var shortfall = io.choria.natsoperator.model.BrokerCapacity.shortfall(nc.getSpec());
        if (shortfall.isPresent()) {
            return java.util.Optional.of(Conditions.of(Conditions.CAPACITY_AVAILABLE, false, Reason.ResourcesBelowCapacity,
                    shortfall.get() + " (capacity " + capacity + " nodes per broker)", gen, prev, now));
        }
        if (mesh == null && unknown != null) {
            var last = Conditions.find(prev, Conditions.CAPACITY_AVAILABLE).filter(c -> !Conditions.UNKNOWN.equals(c.getStatus())
                    && !Reason.ResourcesBelowCapacity.name().equals(c.getReason()));
            if (unknown.keepLast() && last.isPresent()) {
                s.setBrokerConnections(previous.getBrokerConnections());
                return last;
            }
            if (!unknown.keepLast()) {
                return java.util.Optional.of(Conditions.unknown(Conditions.CAPACITY_AVAILABLE, unknown.reason(), unknown.message(), gen, prev, now));
            }
        }
        if (mesh == null || mesh.answered().isEmpty()) {
            return java.util.Optional.of(Conditions.of(Conditions.CAPACITY_AVAILABLE, true, Reason.WithinCapacity,
                    "sized for " + capacity + " nodes per broker; no broker load observed yet", gen, prev, now));
        }
        var limit = io.choria.natsoperator.model.BrokerStatefulSet.memoryLimitBytes(nc.getSpec());
        List<String> connections = new ArrayList<>();
        List<String> low = new ArrayList<>();
        for (var broker : mesh.answered()) {
            int conns = broker.varz().connections();
            long mem = broker.varz().memBytes();
            connections.add(broker.broker() + " " + conns + "/" + capacity);
            if (conns * 100L >= (long) warn * capacity) {
                low.add(broker.broker() + " holds " + conns + " of " + capacity + " connections (" + (conns * 100L / capacity) + "%)");
            }
            if (limit > 0 && mem * 100 >= warn * limit) {
                low.add(broker.broker() + " uses " + (mem >> 20) + "Mi of its " + (limit >> 20) + "Mi memory limit (" + (mem * 100 / limit) + "%)");
            }
        }
        s.setBrokerConnections(connections);
        if (!low.isEmpty()) {
            return java.util.Optional.of(Conditions.of(Conditions.CAPACITY_AVAILABLE, false, Reason.CapacityLow,
                    String.join("; ", low) + ": at or past " + warn + "%; raise spec.capacity.nodesPerBroker or spec.size", gen, prev, now));
        }
        return java.util.Optional.of(Conditions.of(Conditions.CAPACITY_AVAILABLE, true, Reason.WithinCapacity,
                "every broker below " + warn + "% of " + capacity + " connections and of its memory limit", gen, prev, now));
    }

    /** All brokers ready, at the StatefulSet's current generation and revision. */
    static boolean allReady(StatefulSet sts, int size) {
        StatefulSetStatus st = sts.getStatus();
        if (st == null) return false;
        return Objects.equals(sts.getSpec().getReplicas(), size)
                && nz(st.getReadyReplicas()) == size
                && nz(st.getReplicas()) == size
                && nz(st.getUpdatedReplicas()) == size
                && st.getObservedGeneration() != null && st.getObservedGeneration() >= nzl(sts.getMetadata().getGeneration())
                && (st.getUpdateRevision() == null || st.getUpdateRevision().equals(st.getCurrentRevision()));
    }

    public static Reason progress(StatefulSet sts, int size) {
        if (sts == null || sts.getStatus() == null) return Reason.Creating;
        StatefulSetStatus st = sts.getStatus();
        int replicas = nz(st.getReplicas());
        if (st.getObservedGeneration() == null && replicas == 0) return Reason.Creating;
        if (replicas < size) return Reason.ScalingUp;
        if (replicas > size) return Reason.ScalingDown;
        boolean revisionsDiffer = st.getUpdateRevision() != null && !st.getUpdateRevision().equals(st.getCurrentRevision());
        boolean behind = st.getObservedGeneration() == null || st.getObservedGeneration() < nzl(sts.getMetadata().getGeneration());
        if (revisionsDiffer || nz(st.getUpdatedReplicas()) < size || behind) return Reason.RollingUpdate;
        return Reason.Stable;
    }

    private static String progressMessage(Reason progress, StatefulSet sts, StatefulSetStatus st, int size) {
        // Until the StatefulSet controller has seen the new template its counts describe the old one ("5/5 updated").
        if (progress == Reason.RollingUpdate && sts != null && (st.getObservedGeneration() == null
                || st.getObservedGeneration() < nzl(sts.getMetadata().getGeneration()))) {
            return "a new pod template (StatefulSet generation " + sts.getMetadata().getGeneration()
                    + ") waits for the StatefulSet controller";
        }
        return switch (progress) {
            case Creating -> "creating " + size + " brokers";
            case ScalingUp, ScalingDown -> "scaling from " + nz(st.getReplicas()) + " to " + size + " brokers";
            case RollingUpdate -> nz(st.getUpdatedReplicas()) + "/" + size + " brokers updated to revision "
                    + st.getUpdateRevision();
            default -> "no change in progress";
        };
    }

    private static int nz(Integer i) { return i == null ? 0 : i; }
    private static long nzl(Long l) { return l == null ? 0 : l; }
}
