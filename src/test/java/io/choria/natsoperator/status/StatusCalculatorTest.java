package io.choria.natsoperator.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusCalculatorTest {
    static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

    static NatsCluster nc() {
        return SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
    }

    static StatefulSet sts(int specReplicas, int replicas, int ready, int updated, String current, String update, long gen, Long observed) {
        return new StatefulSetBuilder().withNewMetadata().withName("broker").withGeneration(gen).endMetadata()
                .withNewSpec().withReplicas(specReplicas).endSpec()
                .withNewStatus().withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(updated)
                .withCurrentRevision(current).withUpdateRevision(update).withObservedGeneration(observed).endStatus().build();
    }

    static String reason(io.choria.natsoperator.api.NatsClusterStatus s, String type) {
        return Conditions.find(s.getConditions(), type).orElseThrow().getReason();
    }

    static String status(io.choria.natsoperator.api.NatsClusterStatus s, String type) {
        return Conditions.find(s.getConditions(), type).orElseThrow().getStatus();
    }

    /**
     * spec.authorization: every broker holds every user; a count from the sync past the memory limit says so (CapacityAvailable
     * False, with or without capacity), stays said while the next count is not in (an operator restart), and goes when it fits.
     */
    @Test
    void theUsersOfTheLastSyncAreCheckedAgainstTheBrokersMemoryLimit() {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(java.nio.file.Path.of("examples/natscluster-puppet-authorization.yaml")));
        StatefulSet ready = sts(3, 3, 3, 3, "r1", "r1", 2, 2L);
        java.util.function.IntFunction<Observation> seen = users -> new Observation(ready, null, null, null, false,
                new Observation.RevocationObservation(true, io.choria.natsoperator.api.Reason.RevocationEnforced, "enforced", null, null, users));
        // No capacity: the default 512Mi limit. 50,000 users at 8 KiB need about 407Mi: they fit; 70,000 do not.
        assertTrue(Conditions.find(StatusCalculator.compute(nc, seen.apply(50_000), T0).getConditions(), Conditions.CAPACITY_AVAILABLE).isEmpty());
        nc.setStatus(StatusCalculator.compute(nc, seen.apply(70_000), T0));
        var low = Conditions.find(nc.getStatus().getConditions(), Conditions.CAPACITY_AVAILABLE).orElseThrow();
        assertEquals("False", low.getStatus());
        assertEquals("ResourcesBelowCapacity", low.getReason());
        assertTrue(low.getMessage().startsWith("each broker holds the 70000 NATS users of spec.authorization (about 547Mi): the memory limit 512Mi"),
                low.getMessage());
        var restarted = StatusCalculator.compute(nc, seen.apply(-1), T0.plusSeconds(5));
        assertEquals(low.getMessage(), Conditions.find(restarted.getConditions(), Conditions.CAPACITY_AVAILABLE).orElseThrow().getMessage(),
                "not counted yet: the last count's word stays");
        nc.getSpec().setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("1Gi")).build());
        assertTrue(Conditions.find(StatusCalculator.compute(nc, seen.apply(70_000), T0).getConditions(), Conditions.CAPACITY_AVAILABLE).isEmpty(),
                "1Gi holds them");
        // With capacity, the nodes' share counts too, and a mapped node costs more than one without authorization.
        nc.getSpec().setResources(null);
        var cap = new io.choria.natsoperator.api.CapacitySpec();
        cap.setNodesPerBroker(2000);
        nc.getSpec().setCapacity(cap);
        nc = SpecDefaults.withDefaults(nc);
        long withUsers = io.choria.natsoperator.model.BrokerCapacity.of(nc.getSpec()).orElseThrow().memoryLimitBytes();
        nc.getSpec().setAuthorization(null);
        long without = io.choria.natsoperator.model.BrokerCapacity.of(nc.getSpec()).orElseThrow().memoryLimitBytes();
        assertTrue(withUsers - without >= 2000L * 12 * 1024, withUsers + " against " + without);
    }

    @Test
    void readyWhenAllBrokersReadyAtTheCurrentRevision() {
        var s = StatusCalculator.compute(nc(), new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null), T0);
        assertEquals("True", status(s, "Ready"));
        assertEquals("BrokersReady", reason(s, "Ready"));
        assertEquals("Stable", reason(s, "Progressing"));
        assertEquals("False", status(s, "Progressing"));
        assertEquals("False", status(s, "Degraded"));
        assertEquals("3/3", s.getReady());
        assertEquals(1L, s.getObservedGeneration());
    }

    /** Refused privileged sysctls: a condition of their own, while Ready still speaks of the brokers. */
    @Test
    void refusedPrivilegedSysctlsHaveTheirOwnCondition() {
        StatefulSet ready = sts(3, 3, 3, 3, "r1", "r1", 2, 2L);
        var refused = StatusCalculator.compute(nc(), new Observation(ready, null, null, null, true, null), T0);
        assertEquals("False", status(refused, Conditions.SYSCTLS_APPLIED));
        assertEquals("PrivilegedSysctlsDisabled", reason(refused, Conditions.SYSCTLS_APPLIED));
        assertEquals("True", status(refused, "Ready"), "the brokers run: Ready is about them");
        var allowed = StatusCalculator.compute(nc(), new Observation(ready, null, null, null, false, null), T0);
        assertTrue(Conditions.find(allowed.getConditions(), Conditions.SYSCTLS_APPLIED).isEmpty(), "absent unless refused");
    }

    @Test
    void notReadyWhileTheStatefulSetHasNotSeenItsGeneration() {
        var s = StatusCalculator.compute(nc(), new Observation(sts(3, 3, 3, 3, "r1", "r1", 3, 2L), null, null, null), T0);
        assertEquals("False", status(s, "Ready"));
        assertEquals("RollingUpdate", reason(s, "Progressing"));
        // The counts still describe the old template: the message must not say "3/3 updated".
        String message = Conditions.find(s.getConditions(), "Progressing").orElseThrow().getMessage();
        assertTrue(message.contains("generation 3") && !message.contains("3/3"), message);
    }

    /**
     * A StatefulSet made anew (Streams turned on) is absent for a moment, then has no status until its controller
     * writes one, while the orphaned pods serve: the ready count last seen stands and the message says so; a first
     * StatefulSet still reads 0.
     */
    @Test
    void aStatefulSetMadeAnewKeepsTheReadyCountLastSeen() {
        NatsCluster nc = nc();
        nc.setStatus(StatusCalculator.compute(nc, new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null), T0));
        StatefulSet anew = sts(3, 3, 3, 3, "r1", "r1", 1, 2L);
        anew.setStatus(null);
        var s = StatusCalculator.compute(nc, new Observation(anew, null, null, null), T0.plusSeconds(1));
        assertEquals("3/3", s.getReady());
        String message = Conditions.find(s.getConditions(), "Ready").orElseThrow().getMessage();
        assertEquals("3/3 brokers ready when last seen (the StatefulSet is being made anew and has no status yet)", message);
        assertEquals("False", status(s, "Ready"), "not ready until the new StatefulSet's controller has seen its pods");
        // between the orphaning delete and the create, there is none at all
        var gone = StatusCalculator.compute(nc, new Observation(null, null, null, null), T0.plusSeconds(1));
        assertEquals("3/3 brokers ready when last seen (the StatefulSet is being made anew)",
                Conditions.find(gone.getConditions(), "Ready").orElseThrow().getMessage());

        var first = StatusCalculator.compute(nc(), new Observation(anew, null, null, null), T0);
        assertEquals("0/3", first.getReady());
        assertEquals("0/3 brokers ready (the StatefulSet has no status yet)",
                Conditions.find(first.getConditions(), "Ready").orElseThrow().getMessage());
    }

    @Test
    void progressingSaysWhich() {
        assertEquals("Creating", reason(StatusCalculator.compute(nc(), new Observation(null, null, null, null), T0), "Progressing"));
        assertEquals("ScalingUp", reason(StatusCalculator.compute(nc(),
                new Observation(sts(3, 2, 2, 2, "r1", "r1", 2, 2L), null, null, null), T0), "Progressing"));
        assertEquals("ScalingDown", reason(StatusCalculator.compute(nc(),
                new Observation(sts(3, 5, 5, 5, "r1", "r1", 2, 2L), null, null, null), T0), "Progressing"));
        var rolling = StatusCalculator.compute(nc(), new Observation(sts(3, 3, 3, 1, "r1", "r2", 2, 2L), null, null, null), T0);
        assertEquals("RollingUpdate", reason(rolling, "Progressing"));
        assertEquals("True", status(rolling, "Progressing"));
        assertEquals("False", status(rolling, "Ready"));
    }

    @Test
    void degradedOnlyAfterTheGracePeriod() {
        NatsCluster nc = nc();
        var first = StatusCalculator.compute(nc, new Observation(sts(3, 3, 2, 3, "r1", "r1", 2, 2L), null, null, null), T0);
        assertEquals("False", status(first, "Degraded"));
        nc.setStatus(first);
        var later = StatusCalculator.compute(nc, new Observation(sts(3, 3, 2, 3, "r1", "r1", 2, 2L), null, null, null),
                T0.plus(StatusCalculator.DEGRADED_GRACE).plus(Duration.ofSeconds(1)));
        assertEquals("True", status(later, "Degraded"));
        assertEquals("BrokersUnavailable", reason(later, "Degraded"));
    }

    @Test
    void unchangedObservationGivesAnEqualStatus() {
        NatsCluster nc = nc();
        var obs = new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null);
        var first = StatusCalculator.compute(nc, obs, T0);
        nc.setStatus(first);
        assertEquals(first, StatusCalculator.compute(nc, obs, T0.plusSeconds(600)), "lastTransitionTime is kept");
    }

    @Test
    void aProblemBlocksAndNamesItsReason() {
        var s = StatusCalculator.compute(nc(), new Observation(null,
                new InputProblem(Reason.RoutePasswordSecretNotFound, "route password Secret 'x' not found"), null, null), T0);
        assertEquals("False", status(s, "Ready"));
        assertEquals("RoutePasswordSecretNotFound", reason(s, "Ready"));
        assertEquals("RoutePasswordSecretNotFound", s.getPhase());
        assertEquals("Blocked", reason(s, "Progressing"));
    }

    /** The scratch-based official image: a warning condition (the brokers may still run), nothing for -alpine. */
    @Test
    void aShellLessImageIsFlaggedNotRefused() {
        NatsCluster nc = nc();
        nc.getSpec().setImage("nats:2.10.24");
        var s = StatusCalculator.compute(nc, new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null), T0);
        var c = Conditions.find(s.getConditions(), Conditions.IMAGE_HAS_SHELL).orElseThrow();
        assertEquals("False", c.getStatus());
        assertEquals(Reason.ImageLacksShell.name(), c.getReason());
        org.junit.jupiter.api.Assertions.assertTrue(c.getMessage().contains("-alpine"), c.getMessage());
        assertEquals("BrokersReady", reason(s, "Ready"), "a warning: not in Ready's way");
        var alpine = StatusCalculator.compute(nc(), new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null), T0);
        assertEquals(java.util.Optional.empty(), Conditions.find(alpine.getConditions(), Conditions.IMAGE_HAS_SHELL));
    }

    /** The values clusters made before the storm defaults keep in their stored spec: a warning naming each, with the patch. */
    @Test
    void oldStormSettingsAreFlaggedNotChanged() {
        var steady = new Observation(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, null, null);
        var fresh = StatusCalculator.compute(nc(), steady, T0);
        assertEquals(java.util.Optional.empty(), Conditions.find(fresh.getConditions(), Conditions.STORM_TUNED), "the defaults raise nothing");
        NatsCluster old = nc();
        old.getSpec().getSysctls().setSomaxconn(4092);
        old.getSpec().getTls().setKeyAlgorithm(io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.RSA_2048);
        var s = StatusCalculator.compute(old, steady, T0);
        var c = Conditions.find(s.getConditions(), Conditions.STORM_TUNED).orElseThrow();
        assertEquals("False", c.getStatus());
        assertEquals(Reason.SlowStormSettings.name(), c.getReason());
        org.junit.jupiter.api.Assertions.assertTrue(c.getMessage().contains("spec.sysctls.somaxconn 4092")
                && c.getMessage().contains("spec.tls.keyAlgorithm RSA-2048")
                && c.getMessage().contains("{\"spec\":{\"sysctls\":{\"somaxconn\":128},\"tls\":{\"keyAlgorithm\":\"EC-P256\"}}}"), c.getMessage());
        assertEquals("BrokersReady", reason(s, "Ready"), "a warning: not in Ready's way");
        old.getSpec().getSysctls().setMode(io.choria.natsoperator.api.SysctlsSpec.Mode.None);
        old.getSpec().getTls().setKeyAlgorithm(io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.EC_P256);
        assertEquals(java.util.Optional.empty(), Conditions.find(StatusCalculator.compute(old, steady, T0).getConditions(), Conditions.STORM_TUNED),
                "mode None leaves the kernel alone: its somaxconn is not the operator's to judge");
    }

    static Observation polled(StatefulSet sts, io.choria.natsoperator.mesh.MeshObservation mesh, Observation.MeshUnknown unknown) {
        return new Observation(sts, null, null, mesh, false, null, null, unknown);
    }

    static final Observation.MeshUnknown NOT_YET = new Observation.MeshUnknown(Reason.NotObservedYet, "no answer for this spec yet");
    static final Observation.MeshUnknown TOO_OLD = new Observation.MeshUnknown(Reason.ObservationTooOld, "no poll since 10:00:00Z");

    static NatsCluster withCapacity(NatsCluster nc) {
        var c = new io.choria.natsoperator.api.CapacitySpec();
        c.setNodesPerBroker(100);
        nc.getSpec().setCapacity(c);
        nc.getSpec().setResources(null);
        return nc;
    }

    static io.choria.natsoperator.mesh.MeshObservation incomplete(int connections) {
        List<io.choria.natsoperator.mesh.MeshChecker.BrokerView> views = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            var varz = new io.choria.natsoperator.mesh.MonitorClient.Varz("broker-" + i, i == 2 ? 0 : 1, 1, connections, 1 << 20, null);
            views.add(new io.choria.natsoperator.mesh.MeshChecker.BrokerView("broker-" + i, varz.remotes(), null, null, varz));
        }
        return io.choria.natsoperator.mesh.MeshChecker.judge(3, views);
    }

    /**
     * After a restart or a spec change the brokers are not observed yet: what the last observation
     * wrote stands (as of its generation), so the status is not rewritten twice for nothing.
     */
    @Test
    void notObservedYetKeepsWhatTheLastObservationWrote() {
        NatsCluster nc = withCapacity(nc());
        StatefulSet ready = sts(3, 3, 3, 3, "r1", "r1", 2, 2L);
        var observed = StatusCalculator.compute(nc, polled(ready, incomplete(90), null), T0);
        assertEquals("RoutesIncomplete", reason(observed, Conditions.ROUTES_MESHED));
        assertEquals("RoutesIncomplete", reason(observed, Conditions.DEGRADED));
        assertEquals("CapacityLow", reason(observed, Conditions.CAPACITY_AVAILABLE));
        nc.setStatus(observed);
        nc.getMetadata().setGeneration(2L);

        var pending = StatusCalculator.compute(nc, polled(ready, null, NOT_YET), T0.plusSeconds(60));
        for (String type : List.of(Conditions.ROUTES_MESHED, Conditions.DEGRADED, Conditions.CAPACITY_AVAILABLE)) {
            assertEquals(Conditions.find(observed.getConditions(), type), Conditions.find(pending.getConditions(), type), type);
        }
        assertEquals(1L, Conditions.find(pending.getConditions(), Conditions.ROUTES_MESHED).orElseThrow().getObservedGeneration(),
                "says which generation it was seen at");
        assertEquals(observed.getBrokerConnections(), pending.getBrokerConnections());
    }

    @Test
    void notObservedYetWithoutAnEarlierObservationIsUnknown() {
        NatsCluster nc = nc();
        nc.getSpec().setLeafnodes(new io.choria.natsoperator.api.LeafNodesSpec());
        var s = StatusCalculator.compute(nc, polled(sts(3, 3, 3, 3, "r1", "r1", 2, 2L), null, NOT_YET), T0);
        for (String type : List.of(Conditions.ROUTES_MESHED, Conditions.LEAF_NODES_CONNECTED)) {
            assertEquals("Unknown", status(s, type), type);
            assertEquals("NotObservedYet", reason(s, type), type);
        }
        assertEquals("AsExpected", reason(s, Conditions.DEGRADED));
        assertEquals(java.util.Optional.empty(), Conditions.find(s.getConditions(), Conditions.GATEWAYS_CONNECTED), "no spec.gateway");
    }

    @Test
    void anObservationTooOldIsUnknownNotTheLastWord() {
        NatsCluster nc = withCapacity(nc());
        StatefulSet ready = sts(3, 3, 3, 3, "r1", "r1", 2, 2L);
        nc.setStatus(StatusCalculator.compute(nc, polled(ready, incomplete(10), null), T0));
        var stale = StatusCalculator.compute(nc, polled(ready, null, TOO_OLD), T0.plusSeconds(120));
        for (String type : List.of(Conditions.ROUTES_MESHED, Conditions.CAPACITY_AVAILABLE)) {
            assertEquals("Unknown", status(stale, type), type);
            assertEquals("ObservationTooOld", reason(stale, type), type);
        }
        assertEquals("no poll since 10:00:00Z", Conditions.find(stale.getConditions(), Conditions.ROUTES_MESHED).orElseThrow().getMessage());
        assertEquals("AsExpected", reason(stale, Conditions.DEGRADED), "no fault claimed from an old observation");
    }

    /** The poller's verdict: what the status is made of, not the figures that move on every poll. */
    @Test
    void theVerdictIgnoresMovingFiguresButNotACrossedThreshold() {
        NatsCluster nc = withCapacity(nc());
        assertEquals(StatusCalculator.meshVerdict(nc, incomplete(10)), StatusCalculator.meshVerdict(nc, incomplete(20)));
        assertTrue(!StatusCalculator.meshVerdict(nc, incomplete(10)).equals(StatusCalculator.meshVerdict(nc, incomplete(90))),
                "past warnPercent: CapacityLow");
        assertTrue(!StatusCalculator.meshVerdict(nc, incomplete(10)).equals(StatusCalculator.meshVerdict(nc,
                new io.choria.natsoperator.mesh.MeshObservation(true, Reason.FullMesh, "each of the 3 brokers sees 2 peers"))));
    }
}
