package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CertificateAuthorityLoadTest {

    static TestCa rsa;
    static TestCa ec;
    static TestCa intermediate;

    @BeforeAll
    static void cas() {
        rsa = TestCa.rsaRoot("Puppet CA: puppet.example.com");
        ec = TestCa.ecRoot("EC Test CA");
        intermediate = TestCa.rootWithIntermediate(KeyAlgorithm.RSA_2048, KeyAlgorithm.RSA_2048);
    }

    @Test
    void rsaCaWithPkcs1Key() throws Exception {
        assertTrue(rsa.pkcs1KeyPem().contains("BEGIN RSA PRIVATE KEY"));
        CertificateAuthority ca = CertificateAuthority.load(rsa.certPem(), rsa.pkcs1KeyPem(), Instant.now());
        assertEquals(rsa.certificate(), ca.signingCertificate());
        assertEquals(1, ca.chain().size());
    }

    @Test
    void rsaCaWithPkcs8Key() throws Exception {
        assertTrue(rsa.pkcs8KeyPem().contains("BEGIN PRIVATE KEY"));
        CertificateAuthority ca = CertificateAuthority.load(rsa.certPem(), rsa.pkcs8KeyPem(), Instant.now());
        assertEquals(rsa.certificate(), ca.signingCertificate());
    }

    @Test
    void ecCaWithSec1Key() throws Exception {
        assertTrue(ec.sec1KeyPem().contains("BEGIN EC PRIVATE KEY"));
        CertificateAuthority ca = CertificateAuthority.load(ec.certPem(), ec.sec1KeyPem(), Instant.now());
        assertEquals(ec.certificate(), ca.signingCertificate());
    }

    @Test
    void ecCaWithPkcs8Key() throws Exception {
        CertificateAuthority ca = CertificateAuthority.load(ec.certPem(), ec.pkcs8KeyPem(), Instant.now());
        assertEquals(ec.certificate(), ca.signingCertificate());
    }

    @Test
    void textAroundPemBlocksIsIgnored() throws Exception {
        String bundle = "Subject: CN=whatever\nsome openssl -text output\n" + rsa.certPem() + "\ntrailing\n";
        assertEquals(rsa.certificate(), CertificateAuthority.load(bundle, rsa.pkcs1KeyPem(), Instant.now()).signingCertificate());
    }

    @Test
    void intermediateSignsWhenItsKeyIsGivenWhateverTheBundleOrder() throws Exception {
        TestCa root = intermediate.root();
        for (String bundle : new String[] {intermediate.chainPem(), intermediate.rootFirstBundlePem()}) {
            CertificateAuthority ca = CertificateAuthority.load(bundle, intermediate.pkcs1KeyPem(), Instant.now());
            assertEquals(intermediate.certificate(), ca.signingCertificate());
            assertEquals(2, ca.chain().size());
            assertEquals(root.certificate(), ca.chain().get(1));
            assertTrue(ca.trustBundlePem().contains(intermediate.certPem()));
            assertTrue(ca.trustBundlePem().contains(root.certPem()));
        }
    }

    @Test
    void rootSignsWhenTheRootKeyIsGiven() throws Exception {
        TestCa root = intermediate.root();
        CertificateAuthority ca = CertificateAuthority.load(intermediate.rootFirstBundlePem(), root.pkcs8KeyPem(), Instant.now());
        assertEquals(root.certificate(), ca.signingCertificate());
        assertEquals(1, ca.chain().size());
    }

    @Test
    void theCertificateOfTheKeyIsFoundAmongManyOthers() throws Exception {
        // 47 unrelated CAs of both kinds (same curve as ec, so only the point tells them apart), then the right one last.
        StringBuilder others = new StringBuilder();
        for (int i = 0; i < 47; i++) {
            others.append(i % 8 == 0 ? TestCa.rsaRoot("Other RSA CA " + i).certPem() : TestCa.ecRoot("Other EC CA " + i).certPem());
        }
        others.append(intermediate.chainPem());
        for (String key : new String[] {ec.sec1KeyPem(), ec.pkcs8KeyPem()}) { // SEC1 with its point, PKCS#8 without
            CertificateAuthority ca = CertificateAuthority.load(others + ec.certPem(), key, Instant.now());
            assertEquals(ec.certificate(), ca.signingCertificate());
        }
        for (String key : new String[] {rsa.pkcs1KeyPem(), rsa.pkcs8KeyPem()}) {
            CertificateAuthority ca = CertificateAuthority.load(others + rsa.certPem(), key, Instant.now());
            assertEquals(rsa.certificate(), ca.signingCertificate());
        }
        CertificateAuthority ca = CertificateAuthority.load(others.toString(), intermediate.pkcs1KeyPem(), Instant.now());
        assertEquals(intermediate.certificate(), ca.signingCertificate());
        assertEquals(intermediate.root().certificate(), ca.chain().get(1));
        PkiException e = assertReason(Reason.CaKeyMismatch, () -> CertificateAuthority.load(others.toString(), ec.sec1KeyPem(), Instant.now()));
        assertTrue(e.getMessage().contains("none of the 49 certificate(s)"), e.getMessage());
    }

    @Test
    void aBundleOfMoreThanFiftyCertificatesIsRefused() throws Exception {
        String other = TestCa.ecRoot("Other EC CA").certPem();
        String fifty = other.repeat(49) + ec.certPem();
        assertEquals(ec.certificate(), CertificateAuthority.load(fifty, ec.sec1KeyPem(), Instant.now()).signingCertificate());
        PkiException e = assertReason(Reason.CaCertificateInvalid,
                () -> CertificateAuthority.load(other + fifty, ec.sec1KeyPem(), Instant.now()));
        assertEquals("CA certificate bundle holds 51 certificates, more than the 50 accepted: give the CA's own chain"
                + " (e.g. Puppet's ca_crt.pem), not a system trust store", e.getMessage());
    }

    @Test
    void fingerprintIsSha256OfSigningCertificate() throws Exception {
        CertificateAuthority ca = rsa.load();
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(rsa.certificate().getEncoded()));
        assertEquals(expected, ca.fingerprint());
        assertNotEquals(ca.fingerprint(), ec.load().fingerprint());
    }

    @Test
    void emptyCertificate() {
        assertReason(Reason.CaCertificateMissing, () -> CertificateAuthority.load("  ", rsa.pkcs1KeyPem(), Instant.now()));
    }

    @Test
    void emptyKey() {
        assertReason(Reason.CaKeyMissing, () -> CertificateAuthority.load(rsa.certPem(), "", Instant.now()));
    }

    @Test
    void bundleWithoutCertificate() {
        assertReason(Reason.CaCertificateInvalid, () -> CertificateAuthority.load("just text\n", rsa.pkcs1KeyPem(), Instant.now()));
        assertReason(Reason.CaCertificateInvalid, () -> CertificateAuthority.load(rsa.pkcs1KeyPem(), rsa.pkcs1KeyPem(), Instant.now()));
    }

    @Test
    void corruptCertificate() {
        String corrupt = rsa.certPem().replaceFirst("(?m)^(.{10}).{10}", "$1!!!!@@@@##");
        assertReason(Reason.CaCertificateInvalid, () -> CertificateAuthority.load(corrupt, rsa.pkcs1KeyPem(), Instant.now()));
        String truncated = "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAK\n-----END CERTIFICATE-----\n";
        assertReason(Reason.CaCertificateInvalid, () -> CertificateAuthority.load(truncated, rsa.pkcs1KeyPem(), Instant.now()));
    }

    @Test
    void keyThatIsNoKey() {
        assertReason(Reason.CaKeyInvalid, () -> CertificateAuthority.load(rsa.certPem(), rsa.certPem(), Instant.now()));
        assertReason(Reason.CaKeyInvalid, () -> CertificateAuthority.load(rsa.certPem(), "not a key", Instant.now()));
        String garbled = "-----BEGIN RSA PRIVATE KEY-----\nAAAAAAAAAAAA\n-----END RSA PRIVATE KEY-----\n";
        assertReason(Reason.CaKeyInvalid, () -> CertificateAuthority.load(rsa.certPem(), garbled, Instant.now()));
    }

    @Test
    void encryptedKeys() {
        String pkcs8 = rsa.encryptedPkcs8KeyPem("secret");
        assertTrue(pkcs8.contains("BEGIN ENCRYPTED PRIVATE KEY"));
        assertReason(Reason.CaKeyEncrypted, () -> CertificateAuthority.load(rsa.certPem(), pkcs8, Instant.now()));
        String legacy = ec.legacyEncryptedKeyPem("secret");
        assertTrue(legacy.contains("Proc-Type: 4,ENCRYPTED"));
        assertReason(Reason.CaKeyEncrypted, () -> CertificateAuthority.load(ec.certPem(), legacy, Instant.now()));
    }

    @Test
    void keyOfAnotherCa() {
        assertReason(Reason.CaKeyMismatch, () -> CertificateAuthority.load(rsa.certPem(), ec.sec1KeyPem(), Instant.now()));
        assertReason(Reason.CaKeyMismatch, () -> CertificateAuthority.load(intermediate.chainPem(), rsa.pkcs1KeyPem(), Instant.now()));
    }

    @Test
    void certificateThatIsNoCa() {
        TestCa server = TestCa.nonCa(KeyAlgorithm.EC_P256);
        PkiException e = assertReason(Reason.CaNotACertificateAuthority,
                () -> CertificateAuthority.load(server.certPem(), server.sec1KeyPem(), Instant.now()));
        assertTrue(e.getMessage().contains("basicConstraints"), e.getMessage());
        TestCa noSign = TestCa.caWithoutKeyCertSign(KeyAlgorithm.EC_P256);
        e = assertReason(Reason.CaNotACertificateAuthority,
                () -> CertificateAuthority.load(noSign.certPem(), noSign.sec1KeyPem(), Instant.now()));
        assertTrue(e.getMessage().contains("keyCertSign"), e.getMessage());
    }

    @Test
    void expiredAndNotYetValid() {
        TestCa expired = TestCa.expired(KeyAlgorithm.EC_P256);
        PkiException e = assertReason(Reason.CaExpired, () -> CertificateAuthority.load(expired.certPem(), expired.sec1KeyPem(), Instant.now()));
        assertTrue(e.getMessage().contains("expired"), e.getMessage());
        TestCa future = TestCa.notYetValid(KeyAlgorithm.EC_P256);
        e = assertReason(Reason.CaExpired, () -> CertificateAuthority.load(future.certPem(), future.sec1KeyPem(), Instant.now()));
        assertTrue(e.getMessage().contains("not valid before"), e.getMessage());
        // validity is judged at the instant given, not the wall clock
        assertReason(Reason.CaExpired, () -> CertificateAuthority.load(rsa.certPem(), rsa.pkcs1KeyPem(), Instant.now().plusSeconds(20L * 365 * 86400)));
    }

    @Test
    void messagesAndToStringCarryNoKeyMaterial() throws Exception {
        String key = rsa.pkcs1KeyPem();
        String body = key.lines().filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        PkiException e = assertThrows(PkiException.class, () -> CertificateAuthority.load(ec.certPem(), key, Instant.now()));
        assertFalse(e.getMessage().contains(body.substring(0, 20)));
        assertFalse(e.getMessage().contains("\n"));
        String garbled = key.replace(body, body.substring(0, 30) + "%%%" + body.substring(33));
        e = assertThrows(PkiException.class, () -> CertificateAuthority.load(rsa.certPem(), garbled, Instant.now()));
        assertFalse(e.getMessage().contains(body.substring(0, 20)), e.getMessage());
        String s = rsa.load().toString();
        assertFalse(s.contains("PRIVATE"), s);
        assertFalse(s.contains(body.substring(0, 20)), s);
        assertTrue(s.contains(rsa.load().fingerprint()));
    }

    static PkiException assertReason(Reason expected, org.junit.jupiter.api.function.Executable call) {
        PkiException e = assertThrows(PkiException.class, call);
        assertEquals(expected, e.reason(), e.getMessage());
        assertFalse(e.getMessage().isBlank());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }
}
