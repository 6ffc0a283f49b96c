package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RenewalPolicyTest {

    static final List<String> NAMES = List.of("broker-0.broker-headless.choria.svc", "broker.choria.svc", "10.0.0.7");
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    static CertificateAuthority ca;
    static CertificateAuthority otherCa;
    static IssuedCertificate fresh;

    @BeforeAll
    static void issue() throws Exception {
        // the CAs are made at the test's clock, so NOW is inside their validity on any day the test runs
        TestCa testCa = TestCa.ecRoot("Renewal CA", NOW);
        ca = CertificateAuthority.load(testCa.certPem(), testCa.sec1KeyPem(), NOW);
        otherCa = TestCa.ecRoot("Renewal CA", NOW).load();
        fresh = ca.issue(new ServerCertificateRequest("broker", NAMES, KeyAlgorithm.EC_P256, 90), NOW);
    }

    private static Optional<String> reason(IssuedCertificate cert, List<String> names, KeyAlgorithm alg, Instant now) {
        return RenewalPolicy.renewalReason(cert.certificateChainPem(), cert.privateKeyPem(), ca, names, alg, 30, now);
    }

    @Test
    void freshAndUnchangedStays() {
        assertEquals(Optional.empty(), reason(fresh, NAMES, KeyAlgorithm.EC_P256, NOW));
        assertEquals(Optional.empty(), reason(fresh, NAMES, KeyAlgorithm.EC_P256, NOW.plus(Duration.ofDays(59))));
        // order, case and IP spelling do not matter
        List<String> same = List.of("10.0.0.7", "BROKER.choria.svc", "broker-0.broker-headless.choria.svc");
        assertEquals(Optional.empty(), reason(fresh, same, KeyAlgorithm.EC_P256, NOW));
    }

    @Test
    void nearExpiry() {
        Optional<String> r = reason(fresh, NAMES, KeyAlgorithm.EC_P256, NOW.plus(Duration.ofDays(61)));
        assertEquals("expires 2026-04-01T00:00:00Z, within renewBeforeDays=30", r.orElseThrow());
        assertTrue(reason(fresh, NAMES, KeyAlgorithm.EC_P256, NOW.plus(Duration.ofDays(91))).orElseThrow().startsWith("expired "));
    }

    @Test
    void renewalTimeIsNotAfterMinusRenewBefore() {
        assertEquals(Instant.parse("2026-03-02T00:00:00Z"), RenewalPolicy.renewalTime(fresh.notAfter(), 30));
        // at that instant exactly, the certificate is due
        assertTrue(reason(fresh, NAMES, KeyAlgorithm.EC_P256, RenewalPolicy.renewalTime(fresh.notAfter(), 30)).isPresent());
        assertTrue(reason(fresh, NAMES, KeyAlgorithm.EC_P256, RenewalPolicy.renewalTime(fresh.notAfter(), 30).minusSeconds(1)).isEmpty());
    }

    @Test
    void sanAddedOrRemoved() {
        List<String> more = new java.util.ArrayList<>(NAMES);
        more.add("broker-1.broker-headless.choria.svc");
        more.add("nats.example.com");
        assertEquals("SANs changed (missing: broker-1.broker-headless.choria.svc, nats.example.com)",
                reason(fresh, more, KeyAlgorithm.EC_P256, NOW).orElseThrow());
        assertEquals("SANs changed (no longer wanted: 10.0.0.7)",
                reason(fresh, NAMES.subList(0, 2), KeyAlgorithm.EC_P256, NOW).orElseThrow());
    }

    @Test
    void differentCa() {
        Optional<String> r = RenewalPolicy.renewalReason(fresh.certificateChainPem(), fresh.privateKeyPem(), otherCa, NAMES,
                KeyAlgorithm.EC_P256, 30, NOW);
        assertEquals("issued by a different CA", r.orElseThrow());
    }

    @Test
    void keyAlgorithmChanged() {
        assertEquals("key algorithm changed (EC-P256 -> RSA-2048)", reason(fresh, NAMES, KeyAlgorithm.RSA_2048, NOW).orElseThrow());
    }

    @Test
    void missingOrBrokenInput() {
        assertEquals("no certificate yet",
                RenewalPolicy.renewalReason(null, null, ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW).orElseThrow());
        assertEquals("no certificate yet",
                RenewalPolicy.renewalReason("", fresh.privateKeyPem(), ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW).orElseThrow());
        assertEquals("certificate unparseable",
                RenewalPolicy.renewalReason("garbage", fresh.privateKeyPem(), ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW).orElseThrow());
        assertEquals("no private key",
                RenewalPolicy.renewalReason(fresh.certificateChainPem(), null, ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW).orElseThrow());
        assertEquals("private key unparseable",
                RenewalPolicy.renewalReason(fresh.certificateChainPem(), "garbage", ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW).orElseThrow());
    }

    @Test
    void keyOfAnotherCertificate() {
        IssuedCertificate other = ca.issue(new ServerCertificateRequest("broker", NAMES, KeyAlgorithm.EC_P256, 90), NOW);
        assertEquals("private key does not match certificate",
                RenewalPolicy.renewalReason(fresh.certificateChainPem(), other.privateKeyPem(), ca, NAMES, KeyAlgorithm.EC_P256, 30, NOW)
                        .orElseThrow());
    }

    @Test
    void certificateInfoReadsTheLeaf() throws Exception {
        CertificateInfo info = CertificateInfo.parse(fresh.certificateChainPem());
        assertEquals(fresh.notAfter(), info.notAfter());
        assertEquals(NOW.minus(Duration.ofMinutes(5)), info.notBefore());
        assertEquals(fresh.serialHex(), info.serialHex());
        assertTrue(info.issuedBy(ca));
        assertTrue(!info.issuedBy(otherCa));
        assertEquals(java.util.Set.of("broker-0.broker-headless.choria.svc", "broker.choria.svc"), info.dnsNames());
        CertificateAuthorityLoadTest.assertReason(Reason.CaCertificateInvalid, () -> CertificateInfo.parse("nothing"));
    }
}
