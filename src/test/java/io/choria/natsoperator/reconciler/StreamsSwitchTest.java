package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Turning Choria Streams on and off for a running cluster against the mock API server: a StatefulSet cannot take new
 * claim templates, so the operator deletes it orphaning its pods (propagationPolicy Orphan, seen in the request the
 * API server got) and makes the new one; the system account Secret comes and goes with Streams; a second size keeps
 * the claim templates (the StatefulSet is updated, not replaced).
 */
class StreamsSwitchTest {
    static final String NS = "streams";

    @Test
    void streamsOnReplacesTheStatefulSetOrphaningItsPodsAndOffReplacesItBack() {
        try (MockCluster api = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(300)),
                Clock.systemUTC())) {
            Examples.createPuppetCa(api.client, NS);
            api.client.resource(Examples.toApply(Examples.THREE_BROKERS, NS, null)).create();
            StatefulSet before = Await.present("StatefulSet", () -> sts(api));
            assertTrue(before.getSpec().getVolumeClaimTemplates() == null || before.getSpec().getVolumeClaimTemplates().isEmpty());
            api.drainRequests();

            edit(api, nc -> {
                StreamsSpec streams = new StreamsSpec();
                streams.getStorage().setSize("20Gi");
                nc.getSpec().setStreams(streams);
            });
            StatefulSet after = Await.until("a new StatefulSet with the claim template", Duration.ofSeconds(30), () -> sts(api),
                    s -> s != null && !s.getMetadata().getUid().equals(before.getMetadata().getUid()));
            assertEquals("data", after.getSpec().getVolumeClaimTemplates().get(0).getMetadata().getName());
            assertEquals("20Gi", after.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString());
            assertOrphaningDelete(api.drainRequests());
            assertNotNull(api.client.secrets().inNamespace(NS).withName("broker-system-account").get());
            Await.until("the Event", Duration.ofSeconds(10), () -> api.client.v1().events().inNamespace(NS).list().getItems().stream()
                    .filter(e -> "StatefulSetReplaced".equals(e.getReason())).findFirst().orElse(null), e -> e != null);

            // a larger volume: the StatefulSet replaced again (new template), the brokers' existing claims grown; one the
            // storage class cannot grow is reported with the API server's words
            for (int i = 0; i < 3; i++) {
                var template = after.getSpec().getVolumeClaimTemplates().get(0);
                api.client.resource(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder().withNewMetadata().withName("data-broker-" + i)
                        .withNamespace(NS).withLabels(template.getMetadata().getLabels()).endMetadata().withSpec(template.getSpec()).build()).create();
            }
            api.server.expect().put().withPath("/api/v1/namespaces/" + NS + "/persistentvolumeclaims/data-broker-2")
                    .andReturn(403, new io.fabric8.kubernetes.api.model.StatusBuilder().withCode(403).withReason("Forbidden").withMessage(
                            "persistentvolumeclaims \"data-broker-2\" is forbidden: only dynamically provisioned pvc can be resized and"
                                    + " the storageclass that provisions the pvc must support resize").build()).once();
            edit(api, nc -> nc.getSpec().getStreams().getStorage().setSize("30Gi"));
            StatefulSet larger = Await.until("the StatefulSet with the 30Gi template", Duration.ofSeconds(30), () -> sts(api),
                    s -> s != null && "30Gi".equals(s.getSpec().getVolumeClaimTemplates().get(0).getSpec().getResources().getRequests().get("storage").toString()));
            for (int i = 0; i < 2; i++) {
                assertEquals("30Gi", api.client.persistentVolumeClaims().inNamespace(NS).withName("data-broker-" + i).get()
                        .getSpec().getResources().getRequests().get("storage").toString(), "claim " + i + " grown");
            }
            assertEquals("20Gi", api.client.persistentVolumeClaims().inNamespace(NS).withName("data-broker-2").get()
                    .getSpec().getResources().getRequests().get("storage").toString(), "the refused claim as it was");
            var refused = Await.until("the Warning Event", Duration.ofSeconds(10), () -> api.client.v1().events().inNamespace(NS).list().getItems()
                    .stream().filter(e -> "VolumeExpansionRefused".equals(e.getReason())).findFirst().orElse(null), e -> e != null);
            assertTrue(refused.getMessage().contains("data-broker-2: persistentvolumeclaims \"data-broker-2\" is forbidden: only dynamically"),
                    refused.getMessage());
            assertTrue(api.client.v1().events().inNamespace(NS).list().getItems().stream()
                    .anyMatch(e -> "VolumesExpanding".equals(e.getReason()) && e.getMessage().contains("data-broker-0, data-broker-1")));

            // the size is not in the claim templates: an update, the same StatefulSet
            edit(api, nc -> nc.getSpec().setSize(5));
            StatefulSet scaled = Await.until("five replicas", Duration.ofSeconds(30), () -> sts(api), s -> s.getSpec().getReplicas() == 5);
            assertEquals(larger.getMetadata().getUid(), scaled.getMetadata().getUid());

            api.drainRequests();
            edit(api, nc -> nc.getSpec().setStreams(null));
            StatefulSet off = Await.until("a StatefulSet without claim templates", Duration.ofSeconds(30), () -> sts(api),
                    s -> s != null && !s.getMetadata().getUid().equals(larger.getMetadata().getUid()));
            assertTrue(off.getSpec().getVolumeClaimTemplates() == null || off.getSpec().getVolumeClaimTemplates().isEmpty());
            assertOrphaningDelete(api.drainRequests());
            Await.until("the system account Secret removed", Duration.ofSeconds(30),
                    () -> api.client.secrets().inNamespace(NS).withName("broker-system-account").get() == null, gone -> gone);
            assertNull(api.client.secrets().inNamespace(NS).withName("broker-system-account").get());
            assertNotEquals(before.getMetadata().getUid(), off.getMetadata().getUid());
        }
    }

    /** The StatefulSet's DELETE carried propagationPolicy Orphan: its pods keep running for the new one to adopt. */
    static void assertOrphaningDelete(List<RecordedRequest> requests) {
        List<RecordedRequest> deletes = requests.stream()
                .filter(r -> "DELETE".equals(r.getMethod()) && r.getPath().contains("/statefulsets/broker")).toList();
        assertEquals(1, deletes.size(), "one DELETE of the StatefulSet");
        String body = deletes.get(0).getBody().readUtf8();
        assertTrue(body.contains("\"propagationPolicy\":\"Orphan\""), body);
    }

    static StatefulSet sts(MockCluster api) {
        return api.client.apps().statefulSets().inNamespace(NS).withName("broker").get();
    }

    static void edit(MockCluster api, java.util.function.Consumer<NatsCluster> change) {
        io.choria.natsoperator.testing.Await.retryingConflicts("edit the NatsCluster", () ->
                api.client.resources(NatsCluster.class).inNamespace(NS).withName("broker").edit(nc -> {
                    change.accept(nc);
                    return nc;
                }));
    }
}
