package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.ConditionChecks;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real reconciler, run by java-operator-sdk against the fabric8 mock server in CRUD mode. */
class ReconcilerMockServerTest {
    static final io.choria.natsoperator.pki.TestCa CA = io.choria.natsoperator.pki.TestCa.ecRoot("Puppet CA");
    static MockCluster cluster;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        // a short resync, so the no-write test sees several periodic reconciles of a settled cluster
        cluster = new MockCluster().startOperator(Duration.ofMillis(500));
        client = cluster.client;
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static NatsCluster apply(String namespace, String name, int size, SecretKeyReference passwordRef) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build()).createOr(n -> n.update());
        client.secrets().inNamespace(namespace).resource(new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                .addToStringData("ca.crt", CA.certPem()).addToStringData("ca.key", CA.pkcs8KeyPem()).build()).create();
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, namespace, name);
        nc.getSpec().setSize(size);
        nc.getSpec().getRoutes().setPasswordSecretRef(passwordRef);
        return client.resource(nc).create();
    }

    static StatefulSet sts(String ns, String name) {
        return client.apps().statefulSets().inNamespace(ns).withName(name).get();
    }

    static String routesConf(String ns, String name) {
        return BrokerSecrets.decode(client.secrets().inNamespace(ns).withName(name + "-routes-config").get(), "routes.conf");
    }

    static NatsCluster get(String ns, String name) {
        return client.resources(NatsCluster.class).inNamespace(ns).withName(name).get();
    }

    /** What the kubelet and the StatefulSet controller would report. */
    static void setStatefulSetStatus(String ns, String name, int ready) {
        Await.retryingConflicts("StatefulSet status set", () -> {
            StatefulSet s = sts(ns, name);
            int replicas = s.getSpec().getReplicas();
            s.setStatus(new StatefulSetStatusBuilder().withReplicas(replicas).withReadyReplicas(ready).withAvailableReplicas(ready)
                    .withUpdatedReplicas(replicas).withCurrentReplicas(replicas)
                    .withObservedGeneration(s.getMetadata().getGeneration() == null ? 1L : s.getMetadata().getGeneration())
                    .withCurrentRevision(name + "-1").withUpdateRevision(name + "-1").build());
            return client.resource(s).updateStatus();
        });
    }

    @Test
    void createProducesEveryObject() {
        apply("create", "broker", 3, null);
        StatefulSet sts = Await.present("StatefulSet", () -> sts("create", "broker"));
        assertEquals(3, sts.getSpec().getReplicas());
        assertEquals("Parallel", sts.getSpec().getPodManagementPolicy());
        var init = sts.getSpec().getTemplate().getSpec().getInitContainers().get(0);
        String script = String.join("\n", init.getCommand());
        assertTrue(script.contains("put /proc/sys/net/core/somaxconn 128\n") && script.contains("put /proc/sys/net/ipv4/tcp_max_syn_backlog 8192"),
                script);
        Service headless = client.services().inNamespace("create").withName("broker-headless").get();
        assertEquals(4223, headless.getSpec().getPorts().get(0).getPort());
        assertTrue(headless.getSpec().getPublishNotReadyAddresses());
        Service clientSvc = client.services().inNamespace("create").withName("broker").get();
        assertEquals(List.of(4222), clientSvc.getSpec().getPorts().stream().map(p -> p.getPort()).toList());
        ConfigMap cm = client.configMaps().inNamespace("create").withName("broker-config").get();
        assertTrue(cm.getData().get("nats.conf").contains("include \"../routes/routes.conf\""));
        PodDisruptionBudget pdb = client.policy().v1().podDisruptionBudget().inNamespace("create").withName("broker").get();
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
        Secret generated = client.secrets().inNamespace("create").withName("broker-routes").get();
        String password = BrokerSecrets.decode(generated, "password");
        assertEquals(32, password.length());
        assertEquals(3, routesConf("create", "broker").split("nats-route://route:" + password + "@", -1).length - 1);
        assertFalse(new KubernetesSerialization().asJson(cm).contains(password), "no password in the ConfigMap");
        assertFalse(new KubernetesSerialization().asJson(sts).contains(password), "no password in the pod spec");
        NatsCluster nc = Await.until("status", Duration.ofSeconds(20), () -> get("create", "broker"), n -> n.getStatus() != null);
        assertEquals(3, nc.getStatus().getSize());
        assertEquals("False", Conditions.find(nc.getStatus().getConditions(), "Ready").orElseThrow().getStatus());
        assertEquals(nc.getMetadata().getGeneration(), nc.getStatus().getObservedGeneration());
        assertTrue(ConditionChecks.isTrue(nc.getStatus().getConditions(), "Progressing"));
    }

    @Test
    void scalingFollowsSizeAndKeepsThePasswordAndTemplate() {
        NatsCluster nc = apply("scale", "broker", 3, null);
        StatefulSet before = Await.present("StatefulSet", () -> sts("scale", "broker"));
        String password = BrokerSecrets.decode(client.secrets().inNamespace("scale").withName("broker-routes").get(), "password");
        // the operator writes status meanwhile: retry on a conflict, as kubectl would
        Await.retryingConflicts("resized", () -> client.resources(NatsCluster.class).inNamespace("scale").withName("broker")
                .edit(n -> {
                    n.getSpec().setSize(5);
                    return n;
                }));
        StatefulSet after = Await.until("5 replicas", Duration.ofSeconds(20), () -> sts("scale", "broker"),
                s -> s.getSpec().getReplicas() == 5);
        assertEquals(before.getSpec().getTemplate(), after.getSpec().getTemplate(), "scaling does not restart brokers");
        String routes = Await.until("5 routes", Duration.ofSeconds(20), () -> routesConf("scale", "broker"),
                r -> r.contains("broker-4.broker-headless"));
        assertEquals(5, routes.split("nats-route://", -1).length - 1);
        assertTrue(routes.contains("route:" + password + "@"), "the generated password is never regenerated");
        assertEquals(password, BrokerSecrets.decode(client.secrets().inNamespace("scale").withName("broker-routes").get(), "password"));
        assertNotNull(nc);
    }

    @Test
    void readyFollowsTheStatefulSetStatus() {
        NatsCluster nc = apply("ready", "broker", 3, null);
        Await.present("StatefulSet", () -> sts("ready", "broker"));
        setStatefulSetStatus("ready", "broker", 2);
        NatsCluster two = Await.until("2/3", Duration.ofSeconds(20), () -> get("ready", "broker"),
                n -> n.getStatus() != null && "2/3".equals(n.getStatus().getReady()));
        assertEquals("BrokersNotReady", Conditions.find(two.getStatus().getConditions(), "Ready").orElseThrow().getReason());
        setStatefulSetStatus("ready", "broker", 3);
        NatsCluster ready = Await.until("Ready", Duration.ofSeconds(20), () -> get("ready", "broker"),
                n -> n.getStatus() != null && ConditionChecks.isTrue(n.getStatus().getConditions(), "Ready"));
        var cond = Conditions.find(ready.getStatus().getConditions(), "Ready").orElseThrow();
        assertEquals("BrokersReady", cond.getReason());
        assertEquals(ready.getMetadata().getGeneration(), cond.getObservedGeneration());
        assertEquals("BrokersReady", ready.getStatus().getPhase());
        assertEquals("3/3", ready.getStatus().getReady());
        assertEquals("Stable", Conditions.find(ready.getStatus().getConditions(), "Progressing").orElseThrow().getReason());
        assertEquals("False", Conditions.find(ready.getStatus().getConditions(), "Degraded").orElseThrow().getStatus());
        assertTrue(client.v1().events().inNamespace("ready").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("BrokersReady")), "an Event when the cluster becomes ready");

        // A settled cluster, reconciled again and again (resync 500ms), writes nothing: not its
        // objects, not its status, no Event. Counted reconciles, not a sleep, bound the window.
        cluster.awaitNextReconcile(nc);
        cluster.drainRequests();
        var versions = cluster.versionsIn("ready");
        String statusVersion = get("ready", "broker").getMetadata().getResourceVersion();
        cluster.awaitReconciles(nc, 2);
        // (other tests' clusters live in other namespaces and may still be settling)
        var writes = cluster.drainRequests().stream().filter(MockCluster::isWrite).filter(r -> r.getPath().contains("/namespaces/ready/"))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
        assertEquals(List.of(), writes);
        assertEquals(versions, cluster.versionsIn("ready"));
        assertEquals(statusVersion, get("ready", "broker").getMetadata().getResourceVersion());
    }

    @Test
    void userRoutePasswordSecretIsOnlyRead() {
        Secret mine = client.secrets().inNamespace("user").resource(new SecretBuilder().withNewMetadata().withName("my-routes")
                .withNamespace("user").addToLabels("owner", "me").endMetadata()
                .addToData("pw", Base64.getEncoder().encodeToString("user-chosen:pass".getBytes(StandardCharsets.UTF_8))).build()).create();
        NatsCluster nc = apply("user", "broker", 3, new SecretKeyReference("my-routes", "pw"));
        Await.present("StatefulSet", () -> sts("user", "broker"));
        String routes = routesConf("user", "broker");
        assertTrue(routes.contains("route:user-chosen%3Apass@broker-0"), routes);
        cluster.awaitReconciles(nc, 2); // the first reconcile and more, each reading the Secret
        assertEquals(null, client.secrets().inNamespace("user").withName("broker-routes").get(), "nothing generated");
        Secret after = client.secrets().inNamespace("user").withName("my-routes").get();
        assertEquals(mine.getMetadata().getResourceVersion(), after.getMetadata().getResourceVersion());
        assertEquals(mine.getData(), after.getData());
        assertEquals(Map.of("owner", "me"), after.getMetadata().getLabels());
        assertEquals(null, after.getMetadata().getOwnerReferences() == null || after.getMetadata().getOwnerReferences().isEmpty()
                ? null : after.getMetadata().getOwnerReferences());
    }
}
