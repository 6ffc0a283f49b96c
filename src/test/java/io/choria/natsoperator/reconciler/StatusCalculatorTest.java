package io.choria.natsoperator.reconciler;

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
}
