package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The operator reads from caches that hold what it made and the Secrets the spec names, never
 * every Secret; a settled cluster costs the API server no request; a new cluster gets one status
 * write and only the Events that say something happened.
 */
class CachedReadsTest {
    static final int CLUSTERS = 4;

    @Test
    void readsComeFromNarrowCachesAndASettledClusterCostsNoRequest() {
        try (MockCluster api = new MockCluster()) {
            for (String ns : List.of("choria", "elsewhere")) {
                for (int i = 0; i < 10; i++) {
                    api.client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("unrelated-" + i)
                            .endMetadata().addToStringData("token", "not the operator's business").build()).create();
                }
            }
            Examples.createPuppetCa(api.client, "choria");
            api.startOperator(Duration.ofSeconds(1));
            List<NatsCluster> clusters = new ArrayList<>();
            for (int i = 0; i < CLUSTERS; i++) {
                clusters.add(api.client.resource(Examples.toApply(Examples.THREE_BROKERS, "choria", "broker-" + i)).create());
            }
            for (NatsCluster nc : clusters) {
                Await.until("status of " + nc.getMetadata().getName(), Duration.ofSeconds(60),
                        () -> api.client.resources(NatsCluster.class).inNamespace("choria").withName(nc.getMetadata().getName()).get(),
                        c -> c.getStatus() != null && c.getStatus().getCertificate() != null);
                api.awaitReconciles(nc, 1); // a reconcile that saw the status just written, and more children events settled
            }
            List<RecordedRequest> creating = api.drainRequests();

            // No informer or watch of Secrets beyond the operator's label or one Secret's name.
            for (RecordedRequest r : creating) {
                String path = URLDecoder.decode(r.getPath(), StandardCharsets.UTF_8);
                boolean secretCollection = r.getMethod().equals("GET") && path.matches(".*/secrets(\\?.*)?$");
                if (secretCollection) {
                    assertTrue(path.contains("labelSelector=app.kubernetes.io/managed-by=nats-operator")
                            || path.contains("fieldSelector=metadata.name="), "Secrets read wholesale: " + path);
                }
            }
            // One status write per cluster: the next reconcile saw it, and did not write it again.
            Map<String, Long> statusWrites = creating.stream().filter(r -> r.getPath().contains("/natsclusters/") && r.getPath().contains("/status"))
                    .filter(MockCluster::isWrite).collect(Collectors.groupingBy(r -> r.getPath().replaceAll(".*/natsclusters/([^/]+)/status.*", "$1"),
                            TreeMap::new, Collectors.counting()));
            assertEquals(CLUSTERS, statusWrites.size(), "every cluster got a status: " + statusWrites);
            statusWrites.forEach((name, n) -> assertEquals(1L, n, "status writes of " + name + ": " + statusWrites));
            // Only Events that say something happened: a password generated, a certificate issued, brokers being created.
            for (NatsCluster nc : clusters) {
                List<Event> events = api.client.v1().events().inNamespace("choria").list().getItems().stream()
                        .filter(e -> e.getInvolvedObject().getName().equals(nc.getMetadata().getName())).toList();
                assertEquals(List.of("CertificateIssued", "Creating", "RoutePasswordGenerated"),
                        events.stream().map(Event::getReason).sorted().toList(), nc.getMetadata().getName());
                assertTrue(events.stream().allMatch(e -> e.getType().equals("Normal")), "no Warning on a healthy create");
            }

            // Settled: two more reconciles each (the resync), and not one request.
            api.drainRequests();
            for (NatsCluster nc : clusters) api.awaitReconciles(nc, 2);
            List<String> steady = api.drainRequests().stream().map(r -> r.getMethod() + " " + r.getPath()).toList();
            assertEquals(List.of(), steady, "requests of a settled operator");
        }
    }

    @Test
    void anOwnedObjectWhoseLabelWasEditedAwayIsLabelledAgain() {
        try (MockCluster api = new MockCluster()) {
            Examples.createPuppetCa(api.client, "choria");
            api.startOperator(Duration.ofSeconds(1));
            NatsCluster nc = api.client.resource(Examples.toApply(Examples.ONE_BROKER, "choria", "edited")).create();
            var config = Await.present("the ConfigMap", () -> api.client.configMaps().inNamespace("choria").withName("edited-config").get());
            api.awaitReconciles(nc, 1);
            Await.retryingConflicts("the label edited away", // retried on a 409, as kubectl would
                    () -> api.client.configMaps().inNamespace("choria").withName("edited-config").edit(c -> {
                        c.getMetadata().getLabels().remove(io.choria.natsoperator.model.Labels.MANAGED_BY);
                        return c;
                    }));
            Await.until("the managed-by label back on " + config.getMetadata().getName(), Duration.ofSeconds(30),
                    () -> api.client.configMaps().inNamespace("choria").withName("edited-config").get(),
                    c -> "nats-operator".equals(c.getMetadata().getLabels().get(io.choria.natsoperator.model.Labels.MANAGED_BY)));
        }
    }
}
