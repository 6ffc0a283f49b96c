package io.choria.natsoperator.pki;

import static io.choria.natsoperator.pki.CertificateAuthorityLoadTest.assertReason;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CaSecretKeysTest {

    private static final String CERT = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    private static final String KEY = "-----BEGIN RSA PRIVATE KEY-----\nBBBB\n-----END RSA PRIVATE KEY-----\n";

    private static Map<String, byte[]> data(String... kv) {
        Map<String, byte[]> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        }
        return m;
    }

    @Test
    void operatorNames() throws Exception {
        CaMaterial m = CaSecretKeys.select(data("ca.crt", CERT, "ca.key", KEY), null, null);
        assertEquals(new CaMaterial(CERT, KEY, "ca.crt", "ca.key"), m);
    }

    @Test
    void kubernetesTlsSecretNames() throws Exception {
        CaMaterial m = CaSecretKeys.select(data("tls.crt", CERT, "tls.key", KEY), null, null);
        assertEquals("tls.crt", m.certKey());
        assertEquals("tls.key", m.keyKey());
        assertEquals(CERT, m.certPem());
        assertEquals(KEY, m.keyPem());
    }

    @Test
    void puppetFileNames() throws Exception {
        CaMaterial m = CaSecretKeys.select(data("ca_crt.pem", CERT, "ca_key.pem", KEY), null, null);
        assertEquals("ca_crt.pem", m.certKey());
        assertEquals("ca_key.pem", m.keyKey());
    }

    @Test
    void caNamesWinOverTlsNames() throws Exception {
        // a kubernetes.io/tls Secret may also carry ca.crt; ca.crt + ca.key, when both exist, are the CA
        CaMaterial m = CaSecretKeys.select(data("tls.crt", "other", "tls.key", "other", "ca.crt", CERT, "ca.key", KEY), null, null);
        assertEquals("ca.crt", m.certKey());
        assertEquals(KEY, m.keyPem());
    }

    @Test
    void explicitNames() throws Exception {
        CaMaterial m = CaSecretKeys.select(data("root.pem", CERT, "root-key.pem", KEY, "ca.crt", "decoy"), "root.pem", "root-key.pem");
        assertEquals(new CaMaterial(CERT, KEY, "root.pem", "root-key.pem"), m);
    }

    @Test
    void missingCertificateNamesWhatWasLookedFor() {
        PkiException e = assertReason(Reason.CaCertificateMissing, () -> CaSecretKeys.select(data("ca.key", KEY), null, null));
        assertTrue(e.getMessage().contains("'ca.crt'") && e.getMessage().contains("'tls.crt'") && e.getMessage().contains("'ca_crt.pem'"),
                e.getMessage());
        e = assertReason(Reason.CaCertificateMissing, () -> CaSecretKeys.select(data("ca.crt", CERT, "ca.key", KEY), "bundle.pem", null));
        assertTrue(e.getMessage().contains("'bundle.pem'"), e.getMessage());
        assertReason(Reason.CaCertificateMissing, () -> CaSecretKeys.select(null, null, null));
        assertReason(Reason.CaCertificateMissing, () -> CaSecretKeys.select(data("ca.crt", "  \n", "ca.key", KEY), null, null));
    }

    @Test
    void missingKeyNamesWhatWasLookedFor() {
        PkiException e = assertReason(Reason.CaKeyMissing, () -> CaSecretKeys.select(data("ca.crt", CERT), null, null));
        assertTrue(e.getMessage().contains("'ca.key'"), e.getMessage());
        // ca_crt.pem goes with ca_key.pem, not with a stray tls.key
        e = assertReason(Reason.CaKeyMissing, () -> CaSecretKeys.select(data("ca_crt.pem", CERT, "tls.key", KEY), null, null));
        assertTrue(e.getMessage().contains("'ca_key.pem'"), e.getMessage());
        e = assertReason(Reason.CaKeyMissing, () -> CaSecretKeys.select(data("ca.crt", CERT, "ca.key", KEY), null, "signing.key"));
        assertTrue(e.getMessage().contains("'signing.key'"), e.getMessage());
        e = assertReason(Reason.CaKeyMissing, () -> CaSecretKeys.select(data("bundle.pem", CERT), "bundle.pem", null));
        assertTrue(e.getMessage().contains("'ca.key'") && e.getMessage().contains("'ca_key.pem'"), e.getMessage());
    }

    @Test
    void customCertificateNameWithConventionalKey() throws Exception {
        CaMaterial m = CaSecretKeys.select(data("bundle.pem", CERT, "ca_key.pem", KEY), "bundle.pem", null);
        assertEquals("ca_key.pem", m.keyKey());
    }

    @Test
    void toStringHidesPem() throws Exception {
        String s = CaSecretKeys.select(data("ca.crt", CERT, "ca.key", KEY), null, null).toString();
        assertFalse(s.contains("BBBB"), s);
        assertTrue(s.contains("ca.key"), s);
    }
}
