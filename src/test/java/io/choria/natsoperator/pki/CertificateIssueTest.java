package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateIssueTest {

    static final List<String> NAMES = List.of("broker-0.broker-headless.choria.svc.cluster.local", "broker.choria.svc",
            "puppet", "10.1.2.3", "fd00::1");
    static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    static TestCa rsa;
    static TestCa ec;
    static TestCa chained;

    @BeforeAll
    static void cas() {
        rsa = TestCa.rsaRoot("Puppet CA: puppet");
        ec = TestCa.ecRoot("EC CA");
        chained = TestCa.rootWithIntermediate(KeyAlgorithm.EC_P256, KeyAlgorithm.RSA_2048);
    }

    static ServerCertificateRequest request(KeyAlgorithm alg) {
        return new ServerCertificateRequest("broker.choria.svc", NAMES, alg, 365);
    }

    @Test
    void ecLeafFromRsaCa() throws Exception {
        CertificateAuthority ca = rsa.load();
        IssuedCertificate issued = ca.issue(request(KeyAlgorithm.EC_P256), NOW);
        X509Certificate leaf = first(issued.certificateChainPem());

        assertEquals("SHA256withRSA", leaf.getSigAlgName());
        assertEquals("EC", leaf.getPublicKey().getAlgorithm());
        assertEquals("CN=broker.choria.svc", leaf.getSubjectX500Principal().getName());
        assertEquals(rsa.certificate().getSubjectX500Principal(), leaf.getIssuerX500Principal());
        leaf.verify(rsa.certificate().getPublicKey());
        // digitalSignature only: keyEncipherment makes no sense for an EC key
        assertArrayEquals(new boolean[] {true, false, false, false, false, false, false, false, false}, leaf.getKeyUsage());
        assertServerLeafBasics(leaf, issued);
    }

    @Test
    void rsaLeafFromEcCa() throws Exception {
        CertificateAuthority ca = ec.load();
        IssuedCertificate issued = ca.issue(request(KeyAlgorithm.RSA_2048), NOW);
        X509Certificate leaf = first(issued.certificateChainPem());

        assertEquals("SHA256withECDSA", leaf.getSigAlgName());
        assertEquals("RSA", leaf.getPublicKey().getAlgorithm());
        assertEquals(KeyAlgorithm.RSA_2048, KeyAlgorithms.of(leaf.getPublicKey()).orElseThrow());
        leaf.verify(ec.certificate().getPublicKey());
        assertArrayEquals(new boolean[] {true, false, true, false, false, false, false, false, false}, leaf.getKeyUsage());
        assertServerLeafBasics(leaf, issued);
    }

    private static void assertServerLeafBasics(X509Certificate leaf, IssuedCertificate issued) throws Exception {
        assertEquals(-1, leaf.getBasicConstraints());
        assertTrue(leaf.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId()));
        assertEquals(List.of("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"), leaf.getExtendedKeyUsage());
        assertEquals(NOW.minus(Duration.ofMinutes(5)), leaf.getNotBefore().toInstant());
        assertEquals(NOW.plus(Duration.ofDays(365)), leaf.getNotAfter().toInstant());
        assertEquals(leaf.getNotAfter().toInstant(), issued.notAfter());
        assertEquals(leaf.getSerialNumber().toString(16), issued.serialHex());
        assertEquals(1, leaf.getSerialNumber().signum());
        assertTrue(leaf.getSerialNumber().bitLength() > 64, "serial should carry plenty of randomness");
        assertEquals(NAMES, issued.dnsNames());
        assertNotEquals(null, leaf.getExtensionValue(Extension.subjectKeyIdentifier.getId()));

        CertificateInfo info = CertificateInfo.parse(issued.certificateChainPem());
        assertEquals(Set.of("broker-0.broker-headless.choria.svc.cluster.local", "broker.choria.svc", "puppet"), info.dnsNames());
        assertEquals(Set.of("10.1.2.3", "fd00:0:0:0:0:0:0:1"), info.ipAddresses());

        PrivateKey key = Pem.privateKey(issued.privateKeyPem());
        assertTrue(issued.privateKeyPem().startsWith("-----BEGIN PRIVATE KEY-----"));
        assertTrue(KeyPairs.matches(key, leaf.getPublicKey()));
    }

    @Test
    void authorityKeyIdentifierIsTheCasSubjectKeyIdentifier() throws Exception {
        IssuedCertificate issued = rsa.load().issue(request(KeyAlgorithm.EC_P256), NOW);
        X509Certificate leaf = first(issued.certificateChainPem());
        byte[] aki = AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        byte[] caSki = SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(
                rsa.certificate().getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets()).getKeyIdentifier();
        assertArrayEquals(caSki, aki);
    }

    @Test
    void singleRootCaServesTheLeafAlone() throws Exception {
        IssuedCertificate issued = rsa.load().issue(request(KeyAlgorithm.EC_P256), NOW);
        assertEquals(1, Pem.certificates(issued.certificateChainPem()).size());
        assertEquals(rsa.certPem(), issued.caBundlePem());
    }

    @Test
    void intermediateIssuesAndIsServedInTheChain() throws Exception {
        CertificateAuthority ca = CertificateAuthority.load(chained.rootFirstBundlePem(), chained.pkcs8KeyPem(), NOW);
        IssuedCertificate issued = ca.issue(request(KeyAlgorithm.EC_P256), NOW);
        List<X509Certificate> served = Pem.certificates(issued.certificateChainPem());
        assertEquals(2, served.size(), "leaf + intermediate, root left to the trust store");
        served.get(0).verify(chained.certificate().getPublicKey());
        assertEquals(chained.certificate(), served.get(1));
        List<X509Certificate> bundle = Pem.certificates(issued.caBundlePem());
        assertTrue(bundle.contains(chained.certificate()) && bundle.contains(chained.root().certificate()));
        assertTrue(CertificateInfo.parse(issued.certificateChainPem()).issuedBy(ca));
    }

    @Test
    void serialsDiffer() {
        CertificateAuthority ca = ec.load();
        assertNotEquals(ca.issue(request(KeyAlgorithm.EC_P256), NOW).serialHex(), ca.issue(request(KeyAlgorithm.EC_P256), NOW).serialHex());
    }

    @Test
    void toStringHoldsNoKeyMaterial() {
        IssuedCertificate issued = ec.load().issue(request(KeyAlgorithm.EC_P256), NOW);
        String keyBody = issued.privateKeyPem().lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        String s = issued.toString();
        assertFalse(s.contains("PRIVATE"), s);
        assertFalse(s.contains(keyBody.substring(0, 16)), s);
        assertFalse(s.contains("BEGIN"), s);
        assertTrue(s.contains(issued.serialHex()), s);
    }

    @Test
    void requestsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateRequest(" ", NAMES, KeyAlgorithm.EC_P256, 1));
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateRequest("x".repeat(65), NAMES, KeyAlgorithm.EC_P256, 1));
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateRequest("a", List.of(), KeyAlgorithm.EC_P256, 1));
        assertThrows(IllegalArgumentException.class, () -> new ServerCertificateRequest("a", NAMES, KeyAlgorithm.EC_P256, 0));
        assertThrows(NullPointerException.class, () -> new ServerCertificateRequest("a", NAMES, null, 1));
        assertEquals(List.of("a", "b"), new ServerCertificateRequest("a", List.of("a", "b", "a"), KeyAlgorithm.EC_P256, 1).dnsNames());
    }

    static X509Certificate first(String pem) throws Exception {
        return Pem.certificates(pem).get(0);
    }
}
