package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.reconciler.dependent.Dependent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.ReconcileCounter;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Faults against the mock server: deleted children, conflicts, racing operators, a restart mid-way. */
class FaultToleranceTest {
    static NatsCluster create(KubernetesClient client, String ns, int size) {
        Examples.createPuppetCa(client, ns);
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, null);
        nc.getSpec().setSize(size);
        return client.resource(nc).create();
    }

    static StatefulSet sts(KubernetesClient client, String ns) {
        return client.apps().statefulSets().inNamespace(ns).withName("broker").get();
    }

    static void resize(KubernetesClient client, String ns, int size) {
        Await.retryingConflicts("resized", () -> client.resources(NatsCluster.class).inNamespace(ns).withName("broker")
                .edit(n -> {
                    n.getSpec().setSize(size);
                    return n;
                }));
    }

    /** Hash annotation of every owned object: what the operator wants them to be. */
    static Map<String, String> desiredHashes(MockCluster cluster, String ns) {
        Map<String, String> m = new LinkedHashMap<>();
        cluster.objectsIn(ns).stream()
                .filter(o -> o.getMetadata().getAnnotations() != null && o.getMetadata().getAnnotations().containsKey(Dependent.HASH_ANNOTATION))
                .filter(o -> !o.getMetadata().getName().endsWith("-tls")) // a re-issued certificate differs by design
                .forEach(o -> m.put(o.getKind() + "/" + o.getMetadata().getName(), o.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION)));
        return m;
    }

    @Test
    void aChildDeletedByHandIsRecreated() {
        try (MockCluster cluster = new MockCluster().startOperator(Duration.ofSeconds(30))) {
            KubernetesClient client = cluster.client;
            create(client, "deleted", 3);
            Await.present("StatefulSet", () -> sts(client, "deleted"));
            Await.present("tls", () -> client.secrets().inNamespace("deleted").withName("broker-tls").get());
            Map<String, String> before = desiredHashes(cluster, "deleted");
            client.apps().statefulSets().inNamespace("deleted").withName("broker").delete();
            client.configMaps().inNamespace("deleted").withName("broker-config").delete();
            client.secrets().inNamespace("deleted").withName("broker-routes-config").delete();
            client.services().inNamespace("deleted").withName("broker-headless").delete();
            // recreated on the delete events, long before the 30s resync
            Await.until("recreated", Duration.ofSeconds(15), () -> desiredHashes(cluster, "deleted"), before::equals);
        }
    }

    @Test
    void handEditsOfWhatTheOperatorOwnsArePutBack() {
        try (MockCluster cluster = new MockCluster().startOperator(Duration.ofMillis(300))) {
            KubernetesClient client = cluster.client;
            create(client, "drift", 3);
            Await.present("StatefulSet", () -> sts(client, "drift"));
            String conf = client.configMaps().inNamespace("drift").withName("broker-config").get().getData().get("nats.conf");
            client.apps().statefulSets().inNamespace("drift").withName("broker").scale(1);
            client.configMaps().inNamespace("drift").withName("broker-config").edit(cm -> {
                cm.getData().put("nats.conf", "# edited by hand");
                return cm;
            });
            Await.until("replicas put back", Duration.ofSeconds(15), () -> sts(client, "drift"), s -> s.getSpec().getReplicas() == 3);
            Await.until("nats.conf put back", Duration.ofSeconds(15),
                    () -> client.configMaps().inNamespace("drift").withName("broker-config").get().getData().get("nats.conf"), conf::equals);
        }
    }

    @Test
    void aConflictIsRetriedAndConverges() {
        try (MockCluster cluster = new MockCluster().startOperator(Duration.ofSeconds(30))) {
            KubernetesClient client = cluster.client;
            create(client, "conflict", 3);
            Await.present("StatefulSet", () -> sts(client, "conflict"));
            String path = "/apis/apps/v1/namespaces/conflict/statefulsets/broker";
            cluster.server.expect().put().withPath(path).andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict")
                    .withMessage("the object has been modified; please apply your changes to the latest version").build()).once();
            cluster.drainRequests();
            resize(client, "conflict", 5);
            Await.until("5 replicas after the conflict", Duration.ofSeconds(30), () -> sts(client, "conflict"),
                    s -> s.getSpec().getReplicas() == 5);
            long puts = cluster.drainRequests().stream().filter(r -> r.getMethod().equals("PUT") && r.getPath().equals(path)).count();
            assertTrue(puts >= 2, "the first update met a 409 and was retried: " + puts + " PUTs");
        }
    }

    @Test
    void twoOperatorsRacingAgreeOnOneResult() {
        try (MockCluster cluster = new MockCluster().startOperator(Duration.ofMillis(300))) {
            var otherReconciles = new ReconcileCounter();
            var other = cluster.startAnotherOperator(Duration.ofMillis(300), otherReconciles);
            try {
                KubernetesClient client = cluster.client;
                NatsCluster nc = create(client, "race", 3);
                Await.present("StatefulSet", () -> sts(client, "race"));
                resize(client, "race", 5);
                Await.until("5 replicas", Duration.ofSeconds(20), () -> sts(client, "race"), s -> s.getSpec().getReplicas() == 5);
                // both keep reconciling, each at least twice more
                cluster.awaitReconciles(nc, 2);
                otherReconciles.awaitReconciles(nc, 2, Duration.ofSeconds(30));
                String password = BrokerSecrets.decode(client.secrets().inNamespace("race").withName("broker-routes").get(), "password");
                String routes = BrokerSecrets.decode(client.secrets().inNamespace("race").withName("broker-routes-config").get(), "routes.conf");
                assertEquals(5, routes.split("route:" + password + "@", -1).length - 1, "routes carry the one stored password");
                assertEquals(1, client.secrets().inNamespace("race").list().getItems().stream()
                        .filter(s -> s.getMetadata().getName().equals("broker-routes")).count());
                Map<String, String> settled = desiredHashes(cluster, "race");
                cluster.awaitReconciles(nc, 2);
                otherReconciles.awaitReconciles(nc, 2, Duration.ofSeconds(30));
                assertEquals(settled, desiredHashes(cluster, "race"), "no flapping between the two");
            } finally {
                other.stop();
            }
        }
    }

    @Test
    void aRestartedOperatorConvergesToTheSameObjects() {
        try (MockCluster cluster = new MockCluster().startOperator(Duration.ofSeconds(30))) {
            KubernetesClient client = cluster.client;
            create(client, "restart", 3);
            Await.present("StatefulSet", () -> sts(client, "restart"));
            Await.present("tls", () -> client.secrets().inNamespace("restart").withName("broker-tls").get());
            Map<String, String> before = desiredHashes(cluster, "restart");
            String password = BrokerSecrets.decode(client.secrets().inNamespace("restart").withName("broker-routes").get(), "password");
            // as if the operator died half-way through a reconcile: some objects gone, the change not applied
            cluster.stopOperator();
            client.apps().statefulSets().inNamespace("restart").withName("broker").delete();
            client.configMaps().inNamespace("restart").withName("broker-config").delete();
            cluster.startOperator(Duration.ofSeconds(30));
            Await.until("converged", Duration.ofSeconds(20), () -> desiredHashes(cluster, "restart"), before::equals);
            assertEquals(password, BrokerSecrets.decode(client.secrets().inNamespace("restart").withName("broker-routes").get(), "password"));
            assertNotNull(sts(client, "restart"));
        }
    }
}
