package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The API server refuses the pinned list (as it refuses a ConfigMap over 1 MiB, with 422): the rest of the reconcile goes
 * on (a spec change reaches the StatefulSet, observedGeneration moves), and RevocationEnforced says PinnedListNotWritten
 * with the API server's words, with a Warning Event. Before the parts, the list was a key of the config ConfigMap, whose
 * refused write stopped the StatefulSet and the status.
 */
class PinnedListWriteFailureTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: write failure");
    static final String NS = "pinned-refused";

    @Test
    void aRefusedListStopsNothingElseAndTheStatusSaysSo() {
        try (PuppetCaStandIn puppet = PuppetCaStandIn.start(CA);
             MockCluster cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofSeconds(2), null,
                     InstallerSettings.DEFAULTS, new ClusterMetrics(Clock.systemUTC())), Clock.systemUTC())) {
            puppet.addNode("node1.example.net");
            NatsCluster toApply = cluster.enrolled(NS, "broker", CA, puppet.url());
            toApply.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
            cluster.client.resource(toApply).create();
            Await.until("RevocationEnforced=True", Duration.ofSeconds(60), () -> revocation(cluster), c -> c != null && "True".equals(c.getStatus()));

            // From now on the API server refuses every update of the list's manifest and of the config ConfigMap, as it
            // refuses an object over 1 MiB.
            for (String name : new String[] {"broker-pinned", "broker-config"}) {
                cluster.server.expect().put().withPath("/api/v1/namespaces/" + NS + "/configmaps/" + name).andReturn(422, new StatusBuilder()
                        .withStatus("Failure").withCode(422).withReason("Invalid")
                        .withMessage("ConfigMap \"" + name + "\" is invalid: []: Too long: must have at most 1048576 bytes").build()).always();
            }
            puppet.addNode("node2.example.net"); // the list changes at the next sync
            NatsCluster live = cluster.client.resources(NatsCluster.class).inNamespace(NS).withName("broker").get();
            live.getSpec().getPod().getAnnotations().put("example.com/rollout", "2");
            long generation = cluster.client.resource(live).update().getMetadata().getGeneration();

            Condition refused = Await.until("PinnedListNotWritten", Duration.ofSeconds(60), () -> revocation(cluster),
                    c -> c != null && "PinnedListNotWritten".equals(c.getReason()));
            assertEquals("False", refused.getStatus());
            assertTrue(refused.getMessage().contains("broker-pinned") && refused.getMessage().contains("HTTP 422")
                    && refused.getMessage().contains("Too long"), refused.getMessage());
            Await.until("the status follows the spec", Duration.ofSeconds(30),
                    () -> cluster.client.resources(NatsCluster.class).inNamespace(NS).withName("broker").get().getStatus().getObservedGeneration(),
                    g -> g != null && g == generation);
            var sts = cluster.client.apps().statefulSets().inNamespace(NS).withName("broker").get();
            assertEquals("2", sts.getSpec().getTemplate().getMetadata().getAnnotations().get("example.com/rollout"),
                    "the StatefulSet took the spec change although the list was refused");
            assertTrue(cluster.client.v1().events().inNamespace(NS).list().getItems().stream()
                    .anyMatch(e -> "PinnedListNotWritten".equals(e.getReason()) && "Warning".equals(e.getType())), "a Warning Event");
        }
    }

    static Condition revocation(MockCluster cluster) {
        NatsCluster nc = cluster.client.resources(NatsCluster.class).inNamespace(NS).withName("broker").get();
        return nc == null || nc.getStatus() == null ? null : Conditions.find(nc.getStatus().getConditions(), Conditions.REVOCATION_ENFORCED).orElse(null);
    }
}
