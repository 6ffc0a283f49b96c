package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerPodMonitor;
import io.choria.natsoperator.reconciler.dependent.Dependent;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The exporter and the PodMonitor through the operator, on the mock API server: enabling rolls
 * the pods once and disabling rolls them back to the very same template; the PodMonitor is made
 * only where its kind exists, and its absence is a condition, not a failure.
 */
public class MonitoringReconcileTest {
    public static final ResourceDefinitionContext POD_MONITORS = new ResourceDefinitionContext.Builder()
            .withGroup("monitoring.coreos.com").withVersion("v1").withKind("PodMonitor").withPlural("podmonitors").withNamespaced(true).build();

    static StatefulSet sts(MockCluster api) {
        return api.client.apps().statefulSets().inNamespace("choria").withName("broker").get();
    }

    static String hash(StatefulSet s) {
        return s.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION);
    }

    static NatsCluster live(MockCluster api) {
        return api.client.resources(NatsCluster.class).inNamespace("choria").withName("broker").get();
    }

    static Condition condition(MockCluster api, String type) {
        NatsCluster nc = live(api);
        return nc == null || nc.getStatus() == null ? null : Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
    }

    static NatsCluster edit(MockCluster api, boolean exporter, boolean podMonitor) {
        return Await.retryingConflicts("monitoring switched", () -> api.client.resources(NatsCluster.class).inNamespace("choria").withName("broker").edit(nc -> {
            nc.getSpec().getMonitoring().getExporter().setEnabled(exporter);
            nc.getSpec().getMonitoring().getPodMonitor().setEnabled(podMonitor);
            return nc;
        }));
    }

    /** Waits until the operator has reconciled this generation (status.observedGeneration). */
    static void awaitGeneration(MockCluster api, NatsCluster edited) {
        long gen = edited.getMetadata().getGeneration();
        Await.until("observedGeneration " + gen, Duration.ofSeconds(30), () -> live(api),
                nc -> nc.getStatus() != null && nc.getStatus().getObservedGeneration() != null && nc.getStatus().getObservedGeneration() >= gen);
    }

    public static CustomResourceDefinition podMonitorCrd() {
        return new CustomResourceDefinitionBuilder().withNewMetadata().withName("podmonitors.monitoring.coreos.com").endMetadata()
                .withNewSpec().withGroup("monitoring.coreos.com").withScope("Namespaced")
                .withNewNames().withKind("PodMonitor").withPlural("podmonitors").withSingular("podmonitor").endNames()
                .addNewVersion().withName("v1").withServed(true).withStorage(true)
                .withNewSchema().withNewOpenAPIV3Schema().withType("object").withXKubernetesPreserveUnknownFields(true).endOpenAPIV3Schema().endSchema()
                .endVersion().endSpec().build();
    }

    @Test
    void enablingRollsOnceDisablingRollsBack() {
        try (MockCluster api = new MockCluster()) {
            api.startOperator(Duration.ofSeconds(60));
            Examples.createPuppetCa(api.client, "choria");
            NatsCluster nc = api.client.resource(Examples.toApply(Examples.THREE_BROKERS, null, null)).create();
            awaitGeneration(api, nc);
            StatefulSet off = sts(api);
            assertEquals(2, off.getSpec().getTemplate().getSpec().getContainers().size());

            awaitGeneration(api, edit(api, true, false));
            StatefulSet on = sts(api);
            assertNotEquals(hash(off), hash(on), "enabled: one new pod template");
            assertEquals("exporter", on.getSpec().getTemplate().getSpec().getContainers().get(2).getName());
            assertNull(condition(api, Conditions.POD_MONITOR_READY), "no PodMonitor asked for, no condition");

            awaitGeneration(api, edit(api, false, false));
            StatefulSet back = sts(api);
            assertEquals(hash(off), hash(back), "disabled: the template of before");
            assertEquals(off.getSpec().getTemplate(), back.getSpec().getTemplate());
        }
    }

    @Test
    void podMonitorOnlyWhereItsKindExistsAndAbsenceIsAReason() {
        try (MockCluster api = new MockCluster()) {
            // A short resync: the operator looks for the kind again after this long.
            api.startOperator(Duration.ofSeconds(1));
            Examples.createPuppetCa(api.client, "choria");
            NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, null, null);
            nc.getSpec().getMonitoring().getExporter().setEnabled(true);
            nc.getSpec().getMonitoring().getPodMonitor().setEnabled(true);
            nc = api.client.resource(nc).create();
            awaitGeneration(api, nc);
            Condition missing = condition(api, Conditions.POD_MONITOR_READY);
            assertNotNull(missing);
            assertEquals("False", missing.getStatus());
            assertEquals("PrometheusOperatorMissing", missing.getReason());
            assertTrue(missing.getMessage().contains("monitoring.coreos.com/v1"), missing.getMessage());
            assertNotNull(sts(api), "the brokers are there all the same");
            assertEquals("exporter", sts(api).getSpec().getTemplate().getSpec().getContainers().get(2).getName());

            api.client.apiextensions().v1().customResourceDefinitions().resource(podMonitorCrd()).create();
            Condition made = Await.until("PodMonitorReady", Duration.ofSeconds(30), () -> condition(api, Conditions.POD_MONITOR_READY),
                    c -> c != null && c.getStatus().equals("True"));
            assertEquals("PodMonitorCreated", made.getReason());
            GenericKubernetesResource pm = api.client.genericKubernetesResources(POD_MONITORS).inNamespace("choria").withName("broker").get();
            assertNotNull(pm);
            assertEquals(BrokerPodMonitor.KIND, pm.getKind());
            assertEquals(nc.getMetadata().getUid(), pm.getMetadata().getOwnerReferences().get(0).getUid());

            awaitGeneration(api, edit(api, true, false));
            assertNull(api.client.genericKubernetesResources(POD_MONITORS).inNamespace("choria").withName("broker").get(),
                    "switched off: deleted");
            assertNull(condition(api, Conditions.POD_MONITOR_READY));
        }
    }
}
