package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.CapacitySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.model.BrokerCapacity;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.nats.client.Connection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * spec.capacity on a real broker: the derived max_connections and GOMEMLIMIT are in force, and the
 * operator's CapacityAvailable condition follows the broker's real connections (capacity 60:
 * 50 clients raise CapacityLow, 40 clear it).
 */
@Timeout(120)
@External
class CapacityReconcileTest {
    static final int CAPACITY = 60;

    @Test
    void derivedLimitsAreInForceAndConnectionsPastTheThresholdRaiseCapacityLow() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(150)
                .edit(CapacityReconcileTest::withCapacity).start();
             MockCluster api = new MockCluster()) {
            var sizing = BrokerCapacity.of(CAPACITY);
            var varz = new ObjectMapper().readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(brokers.monitorUri(0) + "/varz")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(sizing.maxConnections(), varz.get("max_connections").asInt(), "max_connections in force");
            // /varz does not show GOMEMLIMIT (2.9 nor 2.10): the Go runtime reads it from the environment at start.
            assertEquals(sizing.goMemLimit(), brokers.processEnvironment(0).get("GOMEMLIMIT"), "GOMEMLIMIT in the broker's environment");

            MeshChecker checker = new MeshChecker();
            api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(500),
                    nc -> checker.check(nc, brokers::monitorUri)), Clock.systemUTC());
            Examples.createPuppetCa(api.client, "choria");
            NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, null, null);
            withCapacity(nc);
            api.client.resource(nc).create();
            String name = nc.getMetadata().getName();
            StatefulSet sts = Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace("choria").withName(name).get());
            sts.setStatus(new StatefulSetStatusBuilder().withReplicas(1).withReadyReplicas(1).withUpdatedReplicas(1)
                    .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
            api.client.resource(sts).updateStatus();
            Await.until("CapacityAvailable", Duration.ofSeconds(30), () -> condition(api, name), c -> c != null && "True".equals(c.getStatus()));

            List<Connection> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 50; i++) clients.add(Clients.connect(brokers.clientUrl(0), brokers.clientCertificate(), brokers.caPem()));
                // the condition turns at 48 (80%), maybe before the last clients are in: wait for the count of all 50
                Condition low = Await.until("CapacityLow at 50 of 60", Duration.ofSeconds(30), () -> condition(api, name),
                        c -> "False".equals(c.getStatus()) && c.getMessage().contains("holds 50 of 60"));
                assertEquals("CapacityLow", low.getReason());
                assertTrue(low.getMessage().contains(name + "-0 holds 50 of 60 connections (83%)"), low.getMessage());
                assertTrue(live(api, name).getStatus().getBrokerConnections().contains(name + "-0 50/60"),
                        live(api, name).getStatus().getBrokerConnections().toString());
                assertTrue(api.client.v1().events().inNamespace("choria").list().getItems().stream()
                        .anyMatch(e -> "CapacityLow".equals(e.getReason()) && "Warning".equals(e.getType())), "a Warning Event");

                for (int i = 0; i < 10; i++) clients.remove(0).close();
                Condition ok = Await.until("clears at 40 of 60", Duration.ofSeconds(30), () -> condition(api, name),
                        c -> "True".equals(c.getStatus()));
                assertEquals("WithinCapacity", ok.getReason());
            } finally {
                for (Connection c : clients) c.close();
            }
        }
    }

    static void withCapacity(NatsCluster nc) {
        CapacitySpec c = new CapacitySpec();
        c.setNodesPerBroker(CAPACITY);
        nc.getSpec().setCapacity(c);
        nc.getSpec().setResources(null);
    }

    static NatsCluster live(MockCluster api, String name) {
        return api.client.resources(NatsCluster.class).inNamespace("choria").withName(name).get();
    }

    static Condition condition(MockCluster api, String name) {
        NatsCluster nc = live(api, name);
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), Conditions.CAPACITY_AVAILABLE).orElse(null);
    }
}
