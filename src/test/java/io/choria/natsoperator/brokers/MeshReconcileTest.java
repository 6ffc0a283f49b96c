package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The reconciler's RoutesMeshed condition, fed by the real mesh check of real brokers: the
 * operator runs against the mock API server, its mesh probe asks the loopback brokers.
 */
@External
class MeshReconcileTest {
    @Test
    void routesMeshedFollowsTheRealBrokers() {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(30).start();
             MockCluster api = new MockCluster()) {
            MeshChecker checker = new MeshChecker();
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500),
                    nc -> checker.check(nc, brokers::monitorUri)), Clock.systemUTC());
            Examples.createPuppetCa(api.client, "choria");
            NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, null, null);
            api.client.resource(nc).create();
            StatefulSet sts = Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace("choria").withName("broker").get());
            sts.setStatus(new StatefulSetStatusBuilder().withReplicas(3).withReadyReplicas(3).withUpdatedReplicas(3)
                    .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
            api.client.resource(sts).updateStatus();
            BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));

            var meshed = Await.until("RoutesMeshed", Duration.ofSeconds(30), () -> condition(api, "RoutesMeshed"),
                    c -> c != null && c.getStatus().equals("True"));
            assertEquals("FullMesh", meshed.getReason());

            brokers.stop(2);
            var broken = Await.until("RoutesMeshed False", Duration.ofSeconds(30), () -> condition(api, "RoutesMeshed"),
                    c -> c.getStatus().equals("False"));
            assertEquals("BrokerUnreachable", broken.getReason());
            assertTrue(broken.getMessage().contains("broker-2"), broken.getMessage());
            assertTrue(api.client.v1().events().inNamespace("choria").list().getItems().stream()
                    .anyMatch(e -> e.getReason().equals("BrokerUnreachable")), "a Warning Event names it");

            brokers.start(2);
            Await.until("meshed again", Duration.ofSeconds(30), () -> condition(api, "RoutesMeshed"), c -> c.getStatus().equals("True"));
        }
    }

    static io.fabric8.kubernetes.api.model.Condition condition(MockCluster api, String type) {
        NatsCluster nc = api.client.resources(NatsCluster.class).inNamespace("choria").withName("broker").get();
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
    }
}
