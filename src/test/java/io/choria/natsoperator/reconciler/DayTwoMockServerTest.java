package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.status.StatusCalculator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.MutableClock;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Day 2 against the mock server: what restarts brokers and what does not, and the status during change. */
class DayTwoMockServerTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA");
    static final String NS = "day2";
    static MockCluster cluster;
    static KubernetesClient client;
    static final MutableClock clock = new MutableClock(Instant.now());

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(300)), clock);
        client = cluster.client;
        client.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                .addToStringData("ca.crt", CA.certPem()).addToStringData("ca.key", CA.pkcs8KeyPem()).build()).create();
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, NS, null);
        client.resource(nc).create();
        Await.present("StatefulSet", DayTwoMockServerTest::sts);
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static StatefulSet sts() {
        return client.apps().statefulSets().inNamespace(NS).withName("broker").get();
    }

    /** The certificate in the broker-tls Secret. */
    static CertificateInfo certificate() {
        try {
            return CertificateInfo.parse(BrokerSecrets.decode(client.secrets().inNamespace(NS).withName("broker-tls").get(), "tls.crt"));
        } catch (io.choria.natsoperator.pki.PkiException e) {
            throw new IllegalStateException(e);
        }
    }

    static NatsCluster nc() {
        return client.resources(NatsCluster.class).inNamespace(NS).withName("broker").get();
    }

    /** The operator writes status meanwhile: retry on a conflict, as kubectl would. */
    static void edit(java.util.function.Consumer<NatsCluster> change) {
        Await.retryingConflicts("edited", () -> client.resources(NatsCluster.class).inNamespace(NS).withName("broker")
                .edit(n -> {
                    change.accept(n);
                    return n;
                }));
    }

    /** What the StatefulSet controller would report; retried when the operator updates the StatefulSet meanwhile. */
    static void kubelet(int replicas, int ready, int updated, String current, String update) {
        Await.retryingConflicts("StatefulSet status set", () -> {
            StatefulSet s = sts();
            s.setStatus(new StatefulSetStatusBuilder().withReplicas(replicas).withReadyReplicas(ready).withUpdatedReplicas(updated)
                    .withObservedGeneration(s.getMetadata().getGeneration()).withCurrentRevision(current).withUpdateRevision(update).build());
            return client.resource(s).updateStatus();
        });
    }

    static io.fabric8.kubernetes.api.model.Condition condition(String type) {
        return Conditions.find(nc().getStatus().getConditions(), type).orElseThrow();
    }

    static boolean event(String reason) {
        return client.v1().events().inNamespace(NS).list().getItems().stream().anyMatch(e -> e.getReason().equals(reason));
    }

    @Test
    void sizeAndRenewalKeepTheTemplateImageChangesIt() {
        kubelet(3, 3, 3, "r1", "r1");
        Await.until("Ready", Duration.ofSeconds(20), () -> condition("Ready"), c -> c.getStatus().equals("True"));
        var template = sts().getSpec().getTemplate();
        CertificateInfo first = certificate();

        edit(n -> n.getSpec().setSize(5));
        Await.until("5 replicas", Duration.ofSeconds(20), DayTwoMockServerTest::sts, s -> s.getSpec().getReplicas() == 5);
        // five brokers need two more names on the certificate: re-issued, reloaded, not restarted
        CertificateInfo scaled = Await.until("certificate re-issued with five names", Duration.ofSeconds(20), DayTwoMockServerTest::certificate,
                c -> c.dnsNames().stream().anyMatch(d -> d.startsWith("broker-4.")));
        assertNotEquals(first.serialHex(), scaled.serialHex());
        assertEquals(template, sts().getSpec().getTemplate(), "scaling and renewal do not restart brokers");
        kubelet(3, 3, 3, "r1", "r1");
        Await.until("ScalingUp", Duration.ofSeconds(20), () -> condition("Progressing"), c -> c.getReason().equals("ScalingUp"));
        assertTrue(Await.until("scaling event", Duration.ofSeconds(10), () -> event("ScalingUp"), b -> b));

        kubelet(5, 5, 5, "r1", "r1");
        Await.until("Ready at 5", Duration.ofSeconds(20), () -> condition("Ready"), c -> c.getStatus().equals("True"));
        // Renewal, measured against the certificate scaling issued (not against a resourceVersion
        // scaling already changed): not renewed while it is young, renewed once the clock enters
        // the renewal window, with the same names and a later expiry.
        NatsCluster current = nc();
        cluster.awaitReconciles(current, 2);
        assertEquals(scaled.serialHex(), certificate().serialHex(), "a young certificate is kept");
        clock.advance(Duration.ofDays(340)); // into the renewal window
        CertificateInfo renewed = Await.until("renewal", Duration.ofSeconds(20), DayTwoMockServerTest::certificate,
                c -> !c.serialHex().equals(scaled.serialHex()));
        assertTrue(renewed.notAfter().isAfter(scaled.notAfter()), "renewed: " + renewed.notAfter() + " after " + scaled.notAfter());
        assertTrue(renewed.notBefore().isAfter(scaled.notAfter().minus(Duration.ofDays(60))), "issued at the advanced clock");
        assertEquals(scaled.dnsNames(), renewed.dnsNames());
        assertEquals(template, sts().getSpec().getTemplate(), "renewal does not restart brokers");

        edit(n -> n.getSpec().setImage("nats:2.10.25-alpine"));
        StatefulSet rolled = Await.until("new image", Duration.ofSeconds(20), DayTwoMockServerTest::sts,
                s -> s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage().equals("nats:2.10.25-alpine"));
        assertNotEquals(template, rolled.getSpec().getTemplate(), "an image change rolls the brokers");
        assertEquals("RollingUpdate", rolled.getSpec().getUpdateStrategy().getType());

        kubelet(5, 5, 2, "r1", "r2");
        // The StatefulSet keeps its status across the template update, as in Kubernetes: until the controller reports the new
        // generation, the condition must not repeat the old revision's counts.
        var progressing = Await.until("RollingUpdate at 2/5", Duration.ofSeconds(20), () -> condition("Progressing"),
                c -> c.getReason().equals("RollingUpdate") && c.getMessage().contains("2/5"));
        assertEquals("True", progressing.getStatus());
        assertTrue(progressing.getMessage().contains("2/5"), progressing.getMessage());
        assertTrue(Await.until("rollout event", Duration.ofSeconds(10), () -> event("RollingUpdate"), b -> b));

        kubelet(5, 4, 5, "r2", "r2");
        Await.until("Stable", Duration.ofSeconds(20), () -> condition("Progressing"), c -> c.getReason().equals("Stable"));
        assertEquals("False", condition("Degraded").getStatus(), "one broker down briefly is not degraded");
        clock.advance(StatusCalculator.DEGRADED_GRACE.plusMinutes(1));
        var degraded = Await.until("Degraded", Duration.ofSeconds(20), () -> condition("Degraded"), c -> c.getStatus().equals("True"));
        assertEquals("BrokersUnavailable", degraded.getReason());
        assertTrue(Await.until("degraded event", Duration.ofSeconds(10), () -> event("BrokersUnavailable"), b -> b));

        kubelet(5, 5, 5, "r2", "r2");
        Await.until("Ready", Duration.ofSeconds(20), () -> condition("Ready"), c -> c.getStatus().equals("True"));
        assertEquals("False", condition("Degraded").getStatus());
    }
}
