package io.choria.natsoperator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.testing.Examples;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class SpecValidatorTest {
    static List<SpecProblem> problems(Consumer<NatsCluster> change) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        change.accept(nc);
        return SpecValidator.validate(nc);
    }

    static void assertProblem(String fragment, Consumer<NatsCluster> change) {
        List<SpecProblem> p = problems(change);
        assertEquals(1, p.size(), p.toString());
        assertEquals(Reason.InvalidSpec, p.get(0).reason());
        assertTrue(p.get(0).message().contains(fragment), p.get(0).message());
    }

    @Test
    void exampleIsValid() {
        assertEquals(List.of(), problems(nc -> {}));
    }

    @Test
    void eachBadFieldIsNamed() {
        assertProblem("spec.size must be at least 1 (got 0)", nc -> nc.getSpec().setSize(0));
        assertProblem("spec.ports.cluster (4222) is used by another port", nc -> nc.getSpec().getPorts().setCluster(4222));
        assertProblem("spec.ports.monitor must be 1-65535", nc -> nc.getSpec().getPorts().setMonitor(70000));
        assertProblem("lameDuckDuration must be at least 30s", nc -> nc.getSpec().getLimits().setLameDuckDuration("10s"));
        assertProblem("writeDeadline: not a duration", nc -> nc.getSpec().getLimits().setWriteDeadline("soon"));
        assertProblem("somaxconn", nc -> nc.getSpec().getSysctls().setSomaxconn(1));
        assertProblem("passwordSecretRef.name", nc -> nc.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference()));
        assertProblem("at most 54", nc -> nc.getMetadata().setName("b".repeat(55)));
        assertProblem("DNS label", nc -> nc.getMetadata().setName("Broker_1"));
        assertProblem("renewBeforeDays (30) must be at least 1 and less than validityDays (20)",
                nc -> nc.getSpec().getTls().setValidityDays(20));
        assertProblem("caSecretRef.name is required", nc -> nc.getSpec().getTls().getCaSecretRef().setName(""));
    }

    @Test
    void longestNameStillFits() {
        assertEquals(List.of(), problems(nc -> nc.getMetadata().setName("b".repeat(SpecValidator.MAX_NAME_LENGTH))));
    }

    @Test
    void durations() {
        assertEquals(90_000, Durations.millis("1m30s"));
        assertEquals(500, Durations.millis("500ms"));
        assertEquals(1, Durations.seconds("500ms"));
    }
}
