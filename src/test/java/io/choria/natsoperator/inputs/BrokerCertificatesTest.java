package io.choria.natsoperator.inputs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.CaSecretReference;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Examples;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The certificate decision: issue once, keep while valid, renew near expiry or on a SAN or CA change. */
class BrokerCertificatesTest {
    static final TestCa CA = TestCa.rsaRoot("Puppet CA: puppet.example.com");
    /** The test's clock and its CAs come from one source: a fixed date against CAs made now fails on later days. */
    static final Instant NOW = CA.madeAt();

    static NatsCluster withTls() {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        TlsSpec tls = new TlsSpec();
        CaSecretReference ref = new CaSecretReference();
        ref.setName("puppet-ca");
        tls.setCaSecretRef(ref);
        tls.setExtraSANs(List.of("puppet", "nats.example.com"));
        nc.getSpec().setTls(tls);
        return SpecDefaults.withDefaults(nc);
    }

    static Secret caSecret(TestCa ca) {
        return new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                .addToStringData("ca_crt.pem", ca.certPem()).addToStringData("ca_key.pem", ca.pkcs8KeyPem()).build();
    }

    static Secret tlsSecret(BrokerCertificates.Plan plan) {
        return new SecretBuilder().withNewMetadata().withName("broker-tls").endMetadata()
                .addToStringData("tls.crt", plan.files().certificateChainPem())
                .addToStringData("tls.key", plan.files().privateKeyPem())
                .addToStringData("ca.crt", plan.files().caBundlePem()).build();
    }

    @Test
    void issuesWithEveryNameAndKeepsItWhileValid() throws Exception {
        NatsCluster nc = withTls();
        var first = BrokerCertificates.plan(nc, caSecret(CA), null, "cluster.local", NOW);
        assertEquals("no certificate yet", first.issuedBecause().orElseThrow());
        var sans = CertificateInfo.parse(first.files().certificateChainPem()).dnsNames();
        assertTrue(sans.containsAll(List.of("broker-0.broker-headless.choria.svc.cluster.local",
                "broker-2.broker-headless.choria.svc", "broker.choria.svc", "broker-headless.choria.svc.cluster.local",
                "puppet", "nats.example.com")), sans.toString());
        assertEquals(NOW.plus(Duration.ofDays(365)).getEpochSecond(), Instant.parse(first.status().notAfter()).getEpochSecond());
        assertEquals("broker-tls", first.status().secretName());
        assertEquals(NOW.plus(Duration.ofDays(335)).getEpochSecond(), first.renewAt().getEpochSecond());

        var again = BrokerCertificates.plan(nc, caSecret(CA), tlsSecret(first), "cluster.local", NOW.plus(Duration.ofDays(300)));
        assertTrue(again.issuedBecause().isEmpty(), "unchanged: no new certificate");
        assertEquals(first.files(), again.files());
    }

    @Test
    void renewsNearExpiry() {
        NatsCluster nc = withTls();
        var first = BrokerCertificates.plan(nc, caSecret(CA), null, "cluster.local", NOW);
        var later = BrokerCertificates.plan(nc, caSecret(CA), tlsSecret(first), "cluster.local", NOW.plus(Duration.ofDays(336)));
        assertTrue(later.issuedBecause().orElseThrow().contains("renewBeforeDays"), later.issuedBecause().toString());
        assertNotEquals(first.status().serial(), later.status().serial());
    }

    @Test
    void renewsWhenScalingAddsNames() {
        NatsCluster nc = withTls();
        var first = BrokerCertificates.plan(nc, caSecret(CA), null, "cluster.local", NOW);
        nc.getSpec().setSize(5);
        var scaled = BrokerCertificates.plan(nc, caSecret(CA), tlsSecret(first), "cluster.local", NOW);
        assertTrue(scaled.issuedBecause().orElseThrow().contains("broker-4"), scaled.issuedBecause().toString());
    }

    @Test
    void renewsWhenTheCaChanges() {
        NatsCluster nc = withTls();
        var first = BrokerCertificates.plan(nc, caSecret(CA), null, "cluster.local", NOW);
        var other = BrokerCertificates.plan(nc, caSecret(TestCa.ecRoot("New Puppet CA")), tlsSecret(first), "cluster.local", NOW);
        assertEquals("issued by a different CA", other.issuedBecause().orElseThrow());
    }

    @Test
    void badCaIsAnInputProblemWithADistinctReason() {
        NatsCluster nc = withTls();
        assertEquals(Reason.CaSecretNotFound, assertThrows(InputProblem.class,
                () -> BrokerCertificates.plan(nc, null, null, "cluster.local", NOW)).reason());
        Secret noKey = new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                .addToStringData("ca.crt", CA.certPem()).build();
        assertEquals(Reason.CaKeyMissing, assertThrows(InputProblem.class,
                () -> BrokerCertificates.plan(nc, noKey, null, "cluster.local", NOW)).reason());
    }

    static Secret chainSecret(TestCa signing) {
        return new SecretBuilder().withNewMetadata().withName("puppet-ca").endMetadata()
                .addToStringData("ca.crt", signing.rootFirstBundlePem()).addToStringData("ca.key", signing.pkcs8KeyPem()).build();
    }

    /** Root and intermediate as Puppet 7 has them: the chain verifies and is served. */
    @Test
    void aGoodIntermediateChainVerifies() {
        TestCa intermediate = TestCa.rootWithIntermediate(TlsSpec.KeyAlgorithm.EC_P256, TlsSpec.KeyAlgorithm.EC_P256);
        var plan = BrokerCertificates.plan(withTls(), chainSecret(intermediate), null, "cluster.local", Instant.now());
        assertTrue(plan.issuedBecause().isPresent());
    }

    /** A root with pathLen 0 may not have an intermediate that signs: no client would accept the leaf. */
    @Test
    void anIntermediateUnderAPathLenZeroRootIsRefused() {
        TestCa intermediate = TestCa.rootWithPathLenZero(TlsSpec.KeyAlgorithm.EC_P256).intermediate("Intermediate", TlsSpec.KeyAlgorithm.EC_P256);
        InputProblem p = assertThrows(InputProblem.class,
                () -> BrokerCertificates.plan(withTls(), chainSecret(intermediate), null, "cluster.local", Instant.now()));
        assertEquals(Reason.CertificateChainInvalid, p.reason());
        assertTrue(p.getMessage().contains("does not verify"), p.getMessage());
    }

    /** A CA constrained to example.com cannot vouch for broker-0.broker-headless.choria.svc. */
    @Test
    void aNameConstrainedCaThatExcludesTheBrokersIsRefused() {
        TestCa constrained = TestCa.nameConstrained(TlsSpec.KeyAlgorithm.EC_P256, "example.com");
        InputProblem p = assertThrows(InputProblem.class,
                () -> BrokerCertificates.plan(withTls(), chainSecret(constrained), null, "cluster.local", Instant.now()));
        assertEquals(Reason.CertificateChainInvalid, p.reason());
        // and the same constraint under an intermediate (the root stays in the path, so its constraints apply)
        TestCa below = TestCa.nameConstrained(TlsSpec.KeyAlgorithm.EC_P256, "example.com").intermediate("Intermediate",
                TlsSpec.KeyAlgorithm.EC_P256);
        assertEquals(Reason.CertificateChainInvalid, assertThrows(InputProblem.class,
                () -> BrokerCertificates.plan(withTls(), chainSecret(below), null, "cluster.local", Instant.now())).reason());
    }
}
