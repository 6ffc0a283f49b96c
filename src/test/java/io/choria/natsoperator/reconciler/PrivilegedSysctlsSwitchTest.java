package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.model.BrokerStatefulSet;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The installer's switches reach the StatefulSets the real reconciler writes: the sysctl init
 * container runs the installer's image, and with privileged sysctls turned off a NatsCluster that
 * asks for them runs without the privileged container and says why (condition and one Warning).
 */
class PrivilegedSysctlsSwitchTest {
    static final String SYSCTL_IMAGE = "registry.example/busybox:1.36.1";
    MockCluster cluster;

    @AfterEach
    void stop() {
        if (cluster != null) cluster.close();
    }

    KubernetesClient start(boolean allowPrivileged) {
        InstallerSettings installer = new InstallerSettings(SYSCTL_IMAGE, allowPrivileged, "ops",
                InstallerSettings.DEFAULT_OPERATOR_POD_LABELS);
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(300), null, installer),
                Clock.systemUTC());
        return cluster.client;
    }

    NatsCluster create(KubernetesClient client, String ns, String image) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).createOr(n -> n.update());
        Examples.createPuppetCa(client, ns);
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, "broker");
        nc.getSpec().setImage(image);
        return client.resource(nc).create();
    }

    /** The status once the reconciler has seen this generation. */
    static NatsCluster observed(KubernetesClient client, NatsCluster nc) {
        long generation = client.resource(nc).get().getMetadata().getGeneration();
        return Await.until("status of generation " + generation, Duration.ofSeconds(30), () -> client.resource(nc).get(),
                n -> n.getStatus() != null && Objects.equals(n.getStatus().getObservedGeneration(), generation));
    }

    static List<Event> events(KubernetesClient client, String ns, Reason reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream().filter(e -> reason.name().equals(e.getReason())).toList();
    }

    @Test
    void initContainerRunsTheInstallersImageNotTheSpecs() {
        KubernetesClient client = start(true);
        NatsCluster nc = create(client, "allowed", "tenant.example/nats:evil");
        StatefulSet sts = Await.present("StatefulSet", () -> client.apps().statefulSets().inNamespace("allowed").withName("broker").get());
        var pod = sts.getSpec().getTemplate().getSpec();
        assertEquals(SYSCTL_IMAGE, pod.getInitContainers().get(0).getImage());
        assertEquals(BrokerStatefulSet.SYSCTL_CONTAINER, pod.getInitContainers().get(0).getName());
        pod.getContainers().forEach(c -> assertEquals("tenant.example/nats:evil", c.getImage()));
        NatsCluster seen = observed(client, nc);
        assertTrue(condition(seen, Conditions.SYSCTLS_APPLIED) == null, "no condition when allowed");
    }

    @Test
    void turnedOffTheClusterRunsWithoutThePrivilegedContainerAndSaysWhy() {
        KubernetesClient client = start(false);
        NatsCluster nc = create(client, "refused", "nats:2.10.24-alpine");
        StatefulSet sts = Await.present("StatefulSet", () -> client.apps().statefulSets().inNamespace("refused").withName("broker").get());
        var pod = sts.getSpec().getTemplate().getSpec();
        assertTrue(pod.getInitContainers() == null || pod.getInitContainers().isEmpty(), "no privileged container");
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());

        NatsCluster seen = observed(client, nc);
        Condition c = condition(seen, Conditions.SYSCTLS_APPLIED);
        assertEquals("False", c.getStatus());
        assertEquals(Reason.PrivilegedSysctlsDisabled.name(), c.getReason());
        assertTrue(c.getMessage().contains("--allow-privileged-sysctls=false") && c.getMessage().contains("mode: None"), c.getMessage());
        Event warning = Await.until("PrivilegedSysctlsDisabled Event", Duration.ofSeconds(10),
                () -> events(client, "refused", Reason.PrivilegedSysctlsDisabled), l -> !l.isEmpty()).get(0);
        assertEquals("Warning", warning.getType());

        // Settled: more reconciles (the 300 ms resync) repeat no Warning and rewrite nothing.
        cluster.awaitReconciles(nc, 3);
        assertEquals(1, events(client, "refused", Reason.PrivilegedSysctlsDisabled).stream()
                .mapToInt(e -> e.getCount() == null ? 1 : e.getCount()).sum(), "one Warning, not one per reconcile");

        // Acknowledging it (mode None) clears the condition.
        Await.retryingConflicts("mode None", () -> client.resources(NatsCluster.class).inNamespace("refused").withName("broker")
                .edit(n -> {
                    n.getSpec().getSysctls().setMode(SysctlsSpec.Mode.None);
                    return n;
                }));
        assertTrue(condition(observed(client, nc), Conditions.SYSCTLS_APPLIED) == null);
    }

    static Condition condition(NatsCluster nc, String type) {
        return Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
    }
}
