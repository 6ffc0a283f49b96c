package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.ConditionChecks;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each bad input -> Ready=False with its reason, a Warning Event, and every object that existed
 * before left exactly as it was (the mock server has no schema validation, so invalid specs reach
 * the operator as they would on a cluster without the CRD's rules).
 */
class BadInputTest {
    static MockCluster cluster;
    static KubernetesClient client;

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(Duration.ofMillis(500));
        client = cluster.client;
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    /** A bad change to a running cluster: the setup runs first (Secrets), then the spec change. */
    record BadChange(String ns, String reason, String messagePart, Consumer<KubernetesClient> setup, Consumer<NatsCluster> change) {}

    static NatsCluster good(String ns) {
        Examples.createPuppetCa(client, ns);
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, null);
        return nc;
    }

    static NatsCluster get(String ns) {
        return client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
    }

    static io.fabric8.kubernetes.api.model.Condition ready(String ns) {
        return Conditions.find(get(ns).getStatus().getConditions(), "Ready").orElseThrow();
    }

    static Map<String, String> versions(String ns) {
        return cluster.versionsIn(ns);
    }

    static void userSecret(KubernetesClient c, String ns, String key, String value) {
        c.resource(new SecretBuilder().withNewMetadata().withName("routes-pw").withNamespace(ns).endMetadata()
                .addToStringData(key, value).build()).create();
    }

    static final io.choria.natsoperator.api.TlsSpec.KeyAlgorithm EC = io.choria.natsoperator.api.TlsSpec.KeyAlgorithm.EC_P256;

    static void replaceCa(KubernetesClient c, String ns, io.choria.natsoperator.pki.TestCa ca) {
        c.secrets().inNamespace(ns).withName("puppet-ca").edit(s -> {
            s.setData(null);
            s.setStringData(Map.of("ca.crt", ca.rootFirstBundlePem(), "ca.key", ca.pkcs8KeyPem()));
            return s;
        });
    }

    static boolean warned(String ns, String reason) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> e.getReason().equals(reason) && e.getType().equals("Warning"));
    }

    @Test
    void badChangesToARunningClusterChangeNothing() {
        List<BadChange> cases = List.of(
                new BadChange("size-zero", "InvalidSpec", "spec.size must be at least 1", c -> {}, n -> n.getSpec().setSize(0)),
                new BadChange("ports-clash", "InvalidSpec", "spec.ports.monitor (4222) is used by another port", c -> {},
                        n -> n.getSpec().getPorts().setMonitor(4222)),
                new BadChange("lame-duck", "InvalidSpec", "lameDuckDuration must be at least 30s", c -> {},
                        n -> n.getSpec().getLimits().setLameDuckDuration("5s")),
                new BadChange("renewal", "InvalidSpec", "renewBeforeDays", c -> {}, n -> n.getSpec().getTls().setRenewBeforeDays(400)),
                new BadChange("low-port", "InvalidSpec", "spec.ports.client must be 1024-65535 (got 80)", c -> {},
                        n -> n.getSpec().getPorts().setClient(80)),
                new BadChange("lame-duck-long", "InvalidSpec", "spec.limits.lameDuckDuration must be at most 1h", c -> {},
                        n -> n.getSpec().getLimits().setLameDuckDuration("2h")),
                new BadChange("bad-san", "InvalidSpec", "spec.tls.extraSANs[1] 'foo_bar' is not a DNS name (RFC 1123", c -> {},
                        n -> n.getSpec().getTls().setExtraSANs(List.of("nats.example.com", "foo_bar"))),
                new BadChange("bad-label", "InvalidSpec", "spec.pod.labels['team'] must not hold control characters", c -> {},
                        n -> n.getSpec().getPod().getLabels().put("team", "a\nb")),
                new BadChange("bad-cidr", "InvalidSpec", "spec.networkPolicy.clientCIDRs[0] '10.0.0.0' is not a CIDR", c -> {},
                        n -> n.getSpec().getNetworkPolicy().setClientCIDRs(List.of("10.0.0.0"))),
                // tls removed without opting in to plaintext: refused, the TLS brokers keep running
                new BadChange("plaintext", "PlaintextNotAllowed", "spec.insecurePlaintext: true", c -> {}, n -> n.getSpec().setTls(null)),
                // a CA whose issued certificates no client accepts: the certificate served before stays
                new BadChange("chain-pathlen", "CertificateChainInvalid", "does not verify", c -> replaceCa(c, "chain-pathlen",
                        io.choria.natsoperator.pki.TestCa.rootWithPathLenZero(EC).intermediate("Intermediate", EC)),
                        n -> n.getSpec().getTls().setExtraSANs(List.of("nats.example.com"))),
                new BadChange("chain-names", "CertificateChainInvalid", "does not verify", c -> replaceCa(c, "chain-names",
                        io.choria.natsoperator.pki.TestCa.nameConstrained(EC, "example.com")),
                        n -> n.getSpec().getTls().setExtraSANs(List.of("nats.example.com"))),
                new BadChange("pw-missing", "RoutePasswordSecretNotFound", "'routes-pw'", c -> {},
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", null))),
                new BadChange("pw-key", "RoutePasswordKeyMissing", "no key 'password'", c -> userSecret(c, "pw-key", "other", "x"),
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", null))),
                new BadChange("pw-empty", "RoutePasswordEmpty", "is empty", c -> userSecret(c, "pw-empty", "password", "  "),
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", "password"))),
                // a key copied by mistake: it would go into <name>-routes-config, mounted by every broker
                new BadChange("pw-pem", "RoutePasswordNotAPassword", "is not a plain password: it contains a PEM block",
                        c -> userSecret(c, "pw-pem", "password", Examples.PUPPET_CA.pkcs8KeyPem()),
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", "password"))),
                new BadChange("pw-spaces", "RoutePasswordNotAPassword", "contains whitespace",
                        c -> userSecret(c, "pw-spaces", "password", "correct horse battery staple"),
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("routes-pw", "password"))),
                new BadChange("pw-ca", "RoutePasswordSecretInUse", "is the CA Secret (spec.tls.caSecretRef)", c -> {},
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("puppet-ca", "ca.key"))),
                new BadChange("pw-tls", "RoutePasswordSecretInUse", "'broker-tls'", c -> {},
                        n -> n.getSpec().getRoutes().setPasswordSecretRef(new SecretKeyReference("broker-tls", "tls.key"))));
        for (BadChange bad : cases) {
            NatsCluster nc = client.resource(good(bad.ns())).create();
            Await.until("settled " + bad.ns(), Duration.ofSeconds(20), () -> get(bad.ns()),
                    n -> n.getStatus() != null && ConditionChecks.isTrue(n.getStatus().getConditions(), "CertificateReady"));
            bad.setup().accept(client);
            Map<String, String> before = versions(bad.ns());
            Await.retryingConflicts("changed " + bad.ns(), () -> client.resources(NatsCluster.class).inNamespace(bad.ns())
                    .withName("broker").edit(n -> {
                        bad.change().accept(n);
                        return n;
                    }));
            // at the changed generation: a setup that changes a Secret may bring the reason a reconcile earlier
            var cond = Await.until(bad.reason() + " in " + bad.ns(), Duration.ofSeconds(20), () -> get(bad.ns()),
                    n -> n.getStatus().getObservedGeneration().equals(n.getMetadata().getGeneration())
                            && Conditions.find(n.getStatus().getConditions(), "Ready").orElseThrow().getReason().equals(bad.reason()))
                    .getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
            assertEquals("False", cond.getStatus());
            assertTrue(cond.getMessage().contains(bad.messagePart()), cond.getMessage());
            assertEquals(get(bad.ns()).getMetadata().getGeneration(), get(bad.ns()).getStatus().getObservedGeneration());
            assertTrue(Await.until("Warning " + bad.reason(), Duration.ofSeconds(10), () -> warned(bad.ns(), bad.reason()), b -> b));
            cluster.awaitReconciles(nc, 2); // reconciled again, twice, with the bad spec
            assertEquals(before, versions(bad.ns()), "nothing changed in " + bad.ns());
            for (var e : client.v1().events().inNamespace(bad.ns()).list().getItems()) {
                for (String value : List.of("-----BEGIN", "PRIVATE KEY", "correct horse")) {
                    assertFalse(e.getMessage().contains(value), "no Secret value in an Event: " + e.getMessage());
                }
            }
        }
    }

    /** Past 52 characters the StatefulSet's pods could never be created: refused before anything is made. */
    @Test
    void aNameTooLongForTheStatefulSetIsRefused() {
        String ns = "long-name";
        String name = "b".repeat(53);
        NatsCluster nc = good(ns);
        nc.getMetadata().setName(name);
        client.resource(nc).create();
        var cond = Await.until("InvalidSpec", Duration.ofSeconds(20),
                () -> Conditions.find(client.resources(NatsCluster.class).inNamespace(ns).withName(name).get().getStatus() == null ? List.of()
                        : client.resources(NatsCluster.class).inNamespace(ns).withName(name).get().getStatus().getConditions(), "Ready"),
                c -> c.isPresent() && c.get().getReason().equals("InvalidSpec")).orElseThrow();
        assertEquals("False", cond.getStatus());
        assertTrue(cond.getMessage().contains("is 53 characters; at most 52"), cond.getMessage());
        assertTrue(Await.until("Warning InvalidSpec", Duration.ofSeconds(10), () -> warned(ns, "InvalidSpec"), b -> b));
        assertNull(client.apps().statefulSets().inNamespace(ns).withName(name).get(), "no StatefulSet whose pods cannot exist");
    }

    @Test
    void aForeignObjectInTheWayIsReportedNeverAdopted() {
        String ns = "foreign";
        var foreignCm = client.resource(new ConfigMapBuilder().withNewMetadata().withName("broker-config").withNamespace(ns)
                .addToLabels("team", "other").endMetadata().addToData("nats.conf", "# theirs").build()).create();
        var foreignSts = client.resource(new StatefulSetBuilder().withNewMetadata().withName("broker").withNamespace(ns).endMetadata()
                .withNewSpec().withReplicas(1).endSpec().build()).create();
        NatsCluster nc = client.resource(good(ns)).create();
        var cond = Await.until("ObjectNotOwned", Duration.ofSeconds(20), () -> ready(ns), c -> c.getReason().equals("ObjectNotOwned"));
        assertTrue(cond.getMessage().contains("ConfigMap broker-config already exists and is not owned"), cond.getMessage());
        assertTrue(Await.until("Warning", Duration.ofSeconds(10), () -> warned(ns, "ObjectNotOwned"), b -> b));
        cluster.awaitReconciles(nc, 2); // reconciled again, twice, with the foreign objects in the way
        var cm = client.configMaps().inNamespace(ns).withName("broker-config").get();
        assertEquals(foreignCm.getMetadata().getResourceVersion(), cm.getMetadata().getResourceVersion());
        assertEquals(Map.of("nats.conf", "# theirs"), cm.getData());
        assertTrue(cm.getMetadata().getOwnerReferences() == null || cm.getMetadata().getOwnerReferences().isEmpty(), "not adopted");
        assertEquals(foreignSts.getMetadata().getResourceVersion(),
                client.apps().statefulSets().inNamespace(ns).withName("broker").get().getMetadata().getResourceVersion());
        assertNull(client.services().inNamespace(ns).withName("broker-headless").get(), "nothing half-applied");
        assertNull(client.secrets().inNamespace(ns).withName("broker-routes").get(), "nothing half-applied");

        // the user removes their object: the operator proceeds
        client.configMaps().inNamespace(ns).withName("broker-config").delete();
        client.apps().statefulSets().inNamespace(ns).withName("broker").delete();
        Await.until("created once the way is clear", Duration.ofSeconds(20),
                () -> client.apps().statefulSets().inNamespace(ns).withName("broker").get(),
                s -> s.getSpec().getReplicas() == 3);
    }

    /**
     * A {@code <name>-routes} Secret someone else made (unlabelled), or one labelled as ours but owned by
     * another NatsCluster: never read as the generated route password, which every broker would mount.
     */
    @Test
    void aForeignRoutesSecretIsNotTakenForTheGeneratedPassword() {
        for (String ns : List.of("foreign-routes", "foreign-routes-labelled")) {
            var meta = new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("broker-routes").withNamespace(ns);
            if (ns.endsWith("labelled")) {
                meta.addToLabels("app.kubernetes.io/managed-by", "nats-operator").addNewOwnerReference()
                        .withApiVersion(NatsCluster.API_VERSION).withKind("NatsCluster").withName("broker").withUid("someone-elses-uid")
                        .withController(true).endOwnerReference();
            }
            client.resource(new SecretBuilder().withMetadata(meta.build()).addToStringData("password", "not-yours-to-use").build()).create();
            NatsCluster nc = client.resource(good(ns)).create();
            var cond = Await.until("ObjectNotOwned in " + ns, Duration.ofSeconds(20), () -> ready(ns),
                    c -> c.getReason().equals("ObjectNotOwned"));
            assertEquals("False", cond.getStatus());
            assertTrue(cond.getMessage().contains("Secret broker-routes already exists and is not owned"), cond.getMessage());
            assertTrue(Await.until("Warning", Duration.ofSeconds(10), () -> warned(ns, "ObjectNotOwned"), b -> b));
            cluster.awaitReconciles(nc, 2);
            assertNull(client.secrets().inNamespace(ns).withName("broker-routes-config").get(), "the foreign password reached no broker");
            assertNull(client.apps().statefulSets().inNamespace(ns).withName("broker").get());
            assertEquals("not-yours-to-use", io.choria.natsoperator.model.BrokerSecrets.decode(
                    client.secrets().inNamespace(ns).withName("broker-routes").get(), "password"), "left as it was");
        }
    }

    /** The scratch-based official image: warned about (condition and Event), not refused: the brokers are created. */
    @Test
    void aShellLessImageIsWarnedAbout() {
        String ns = "shell-less";
        NatsCluster nc = good(ns);
        nc.getSpec().setImage("nats:2.10.24");
        client.resource(nc).create();
        var cond = Await.until("ImageHasShell", Duration.ofSeconds(20), () -> get(ns),
                n -> n.getStatus() != null && Conditions.find(n.getStatus().getConditions(), "ImageHasShell").isPresent());
        assertEquals("ImageLacksShell", Conditions.find(cond.getStatus().getConditions(), "ImageHasShell").orElseThrow().getReason());
        assertTrue(Await.until("Warning ImageLacksShell", Duration.ofSeconds(10), () -> warned(ns, "ImageLacksShell"), b -> b));
        assertEquals("nats:2.10.24", Await.present("StatefulSet", () -> client.apps().statefulSets().inNamespace(ns).withName("broker").get())
                .getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void thePuppetAliasNeverTakesAServiceItDoesNotOwn() {
        String ns = "alias";
        NatsCluster first = good(ns);
        first.getSpec().getService().setPuppetAlias(true);
        client.resource(first).create();
        var alias = Await.present("puppet Service", () -> client.services().inNamespace(ns).withName("puppet").get());
        assertEquals(4222, alias.getSpec().getPorts().get(0).getPort());

        // a second cluster in the namespace wants the same alias: reported, the first keeps it
        NatsCluster second = good(ns);
        second.getMetadata().setName("other");
        second.getSpec().getService().setPuppetAlias(true);
        client.resource(second).create();
        var cond = Await.until("ObjectNotOwned", Duration.ofSeconds(20),
                () -> Conditions.find(client.resources(NatsCluster.class).inNamespace(ns).withName("other").get().getStatus().getConditions(), "Ready")
                        .orElseThrow(), c -> c.getReason().equals("ObjectNotOwned"));
        assertTrue(cond.getMessage().contains("Service puppet"), cond.getMessage());
        cluster.awaitReconciles(second, 2); // the second cluster, reconciled again, still leaves it alone
        assertEquals(alias.getMetadata().getResourceVersion(),
                client.services().inNamespace(ns).withName("puppet").get().getMetadata().getResourceVersion());
    }
}
