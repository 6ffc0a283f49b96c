package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.CaSecretReference;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.ConditionChecks;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.MutableClock;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Certificates through the real reconciler and the mock API server: issue, keep, renew, refuse bad CAs. */
class CertificateReconcileTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: puppet.example.com");
    static MockCluster cluster;
    static KubernetesClient client;
    static MutableClock clock = new MutableClock(Instant.now());

    @BeforeAll
    static void start() {
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", java.util.Set.of(), Duration.ofMillis(400)), clock);
        client = cluster.client;
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    static Secret caSecret(String ns, Consumer<SecretBuilder> content) {
        SecretBuilder b = new SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace(ns).endMetadata();
        content.accept(b);
        return b.build();
    }

    static Consumer<SecretBuilder> goodCa() {
        return b -> b.addToStringData("ca.crt", CA.certPem()).addToStringData("ca.key", CA.pkcs8KeyPem());
    }

    static NatsCluster create(String ns) {
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        client.resource(caSecret(ns, goodCa())).create();
        NatsCluster nc = Examples.toApply(Examples.THREE_BROKERS, ns, null);
        TlsSpec tls = new TlsSpec();
        CaSecretReference ref = new CaSecretReference();
        ref.setName("puppet-ca");
        tls.setCaSecretRef(ref);
        tls.setExtraSANs(List.of("puppet"));
        nc.getSpec().setTls(tls);
        return client.resource(nc).create();
    }

    static Secret tls(String ns) {
        return client.secrets().inNamespace(ns).withName("broker-tls").get();
    }

    static NatsCluster get(String ns) {
        return client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
    }

    static io.fabric8.kubernetes.api.model.Condition condition(String ns, String type) {
        return Conditions.find(get(ns).getStatus().getConditions(), type).orElseThrow();
    }

    @Test
    void issuesMountsAndReports() throws Exception {
        NatsCluster created = create("tls");
        Secret tls = Await.present("tls Secret", () -> tls("tls"));
        assertEquals("kubernetes.io/tls", tls.getType());
        var info = CertificateInfo.parse(BrokerSecrets.decode(tls, "tls.crt"));
        assertTrue(info.dnsNames().containsAll(List.of("broker-1.broker-headless.tls.svc.cluster.local", "puppet")));
        assertEquals(CA.certPem().strip(), BrokerSecrets.decode(tls, "ca.crt").strip());
        var sts = Await.present("StatefulSet", () -> client.apps().statefulSets().inNamespace("tls").withName("broker").get());
        assertTrue(sts.getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getSecret() != null
                && "broker-tls".equals(v.getSecret().getSecretName())));
        String conf = client.configMaps().inNamespace("tls").withName("broker-config").get().getData().get("nats.conf");
        assertTrue(conf.contains("verify: true"), conf);
        assertTrue(conf.matches("(?s).*cluster \\{.*tls \\{.*\\}.*\\}.*"), "routes use TLS too");
        NatsCluster nc = Await.until("CertificateReady", Duration.ofSeconds(20), () -> get("tls"),
                n -> n.getStatus() != null && ConditionChecks.isTrue(n.getStatus().getConditions(), "CertificateReady"));
        assertEquals(info.serialHex(), nc.getStatus().getCertificate().serial());
        assertEquals("broker-tls", nc.getStatus().getCertificate().secretName());
        assertEquals(List.of("tls://broker.tls.svc:4222"), nc.getStatus().getClientURLs());

        // reconciled again and again: the certificate is not re-issued, the Secret not written
        String version = tls("tls").getMetadata().getResourceVersion();
        cluster.awaitReconciles(created, 3);
        assertEquals(version, tls("tls").getMetadata().getResourceVersion());
        assertEquals(info.serialHex(), CertificateInfo.parse(BrokerSecrets.decode(tls("tls"), "tls.crt")).serialHex());
    }

    @Test
    void renewsBeforeExpiryWithAnEvent() throws Exception {
        create("renew");
        Secret first = Await.present("tls Secret", () -> tls("renew"));
        String serial = CertificateInfo.parse(BrokerSecrets.decode(first, "tls.crt")).serialHex();
        // No other test in this class looks at expiry; moving the shared clock is safe for them.
        clock.advance(Duration.ofDays(336));
        Secret renewed = Await.until("renewed certificate", Duration.ofSeconds(20), () -> tls("renew"),
                s -> !s.getMetadata().getResourceVersion().equals(first.getMetadata().getResourceVersion()));
        assertNotEquals(serial, CertificateInfo.parse(BrokerSecrets.decode(renewed, "tls.crt")).serialHex());
        Await.until("CertificateIssued event", Duration.ofSeconds(10), () -> client.v1().events().inNamespace("renew").list().getItems(),
                events -> events.stream().filter(e -> e.getReason().equals("CertificateIssued")).count() >= 2);
        NatsCluster nc = Await.until("status follows", Duration.ofSeconds(10), () -> get("renew"),
                n -> n.getStatus() != null && n.getStatus().getCertificate() != null
                        && !serial.equals(n.getStatus().getCertificate().serial()));
        assertTrue(ConditionChecks.isTrue(nc.getStatus().getConditions(), "CertificateReady"));
    }

    record BadCa(String ns, String reason, Consumer<SecretBuilder> content) {}

    @Test
    void badCaInputKeepsEverythingAndSaysWhy() {
        TestCa other = TestCa.ecRoot("Another CA");
        TestCa expired = TestCa.expired(KeyAlgorithm.EC_P256);
        TestCa notCa = TestCa.nonCa(KeyAlgorithm.EC_P256);
        List<BadCa> cases = List.of(
                new BadCa("bad-missing", "CaSecretNotFound", null),
                new BadCa("bad-nokey", "CaKeyMissing", b -> b.addToStringData("ca.crt", CA.certPem())),
                new BadCa("bad-pem", "CaCertificateInvalid", b -> b.addToStringData("ca.crt", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
                        .addToStringData("ca.key", CA.pkcs8KeyPem())),
                new BadCa("bad-mismatch", "CaKeyMismatch", b -> b.addToStringData("ca.crt", CA.certPem()).addToStringData("ca.key", other.pkcs8KeyPem())),
                new BadCa("bad-notca", "CaNotACertificateAuthority", b -> b.addToStringData("ca.crt", notCa.certPem()).addToStringData("ca.key", notCa.pkcs8KeyPem())),
                new BadCa("bad-expired", "CaExpired", b -> b.addToStringData("ca.crt", expired.certPem()).addToStringData("ca.key", expired.pkcs8KeyPem())),
                new BadCa("bad-encrypted", "CaKeyEncrypted", b -> b.addToStringData("ca.crt", CA.certPem()).addToStringData("ca.key", CA.encryptedPkcs8KeyPem("pw"))));
        for (BadCa bad : cases) {
            NatsCluster nc = create(bad.ns());
            Await.until("Ready in " + bad.ns(), Duration.ofSeconds(20), () -> get(bad.ns()),
                    n -> n.getStatus() != null && ConditionChecks.isTrue(n.getStatus().getConditions(), "CertificateReady"));
            Map<String, String> before = versions(bad.ns());
            if (bad.content() == null) {
                client.secrets().inNamespace(bad.ns()).withName("puppet-ca").delete();
            } else {
                client.resource(caSecret(bad.ns(), bad.content())).update();
            }
            var cond = Await.until(bad.reason() + " in " + bad.ns(), Duration.ofSeconds(20), () -> condition(bad.ns(), "CertificateReady"),
                    c -> "False".equals(c.getStatus()));
            assertEquals(bad.reason(), cond.getReason(), cond.getMessage());
            assertTrue(cond.getMessage().contains("puppet-ca"), cond.getMessage());
            assertEquals(bad.reason(), condition(bad.ns(), "Ready").getReason());
            assertTrue(client.v1().events().inNamespace(bad.ns()).list().getItems().stream()
                    .anyMatch(e -> e.getReason().equals(bad.reason()) && e.getType().equals("Warning")), "Warning event " + bad.reason());
            cluster.awaitReconciles(nc, 2); // reconciled again, twice, with the bad CA
            assertEquals(before, versions(bad.ns()), "nothing else changed in " + bad.ns());
        }
    }

    /** resourceVersion of every object the operator owns in the namespace. */
    static Map<String, String> versions(String ns) {
        Map<String, String> v = cluster.versionsIn(ns);
        v.remove("Secret/puppet-ca");
        return v;
    }
}
