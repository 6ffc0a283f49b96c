package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.KeyPairs.Match;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public-part comparison that spares CertificateAuthority.load a signature per bundle certificate. */
class KeyPairsTest {

    static TestCa rsa;
    static TestCa ec;

    @BeforeAll
    static void cas() {
        rsa = TestCa.rsaRoot("RSA CA");
        ec = TestCa.ecRoot("EC CA");
    }

    @Test
    void rsaKeysInPkcs1AndPkcs8KnowTheirPublicPart() throws Exception {
        for (String pem : new String[] {rsa.pkcs1KeyPem(), rsa.pkcs8KeyPem()}) {
            var publicPart = KeyPairs.publicPartOf(Pem.privateKey(pem));
            assertEquals(Match.SAME, publicPart.apply(rsa.certificate().getPublicKey()));
            assertEquals(Match.DIFFERENT, publicPart.apply(TestCa.rsaRoot("Other").certificate().getPublicKey()));
            assertEquals(Match.DIFFERENT, publicPart.apply(ec.certificate().getPublicKey()));
        }
    }

    @Test
    void ecKeysWithAndWithoutTheirPointAreComparedByTheDerivedPoint() throws Exception {
        assertTrue(ec.sec1KeyPem().contains("BEGIN EC PRIVATE KEY"));
        for (String pem : new String[] {ec.sec1KeyPem(), ec.pkcs8KeyPem()}) {
            var publicPart = KeyPairs.publicPartOf(Pem.privateKey(pem));
            assertEquals(Match.SAME, publicPart.apply(ec.certificate().getPublicKey()));
            assertEquals(Match.DIFFERENT, publicPart.apply(TestCa.ecRoot("Other").certificate().getPublicKey()));
            assertEquals(Match.DIFFERENT, publicPart.apply(rsa.certificate().getPublicKey()));
        }
    }

    @Test
    void aKeyOnAnotherCurveIsDifferent() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp384r1"));
        PrivateKey p384 = g.generateKeyPair().getPrivate();
        assertEquals(Match.DIFFERENT, KeyPairs.publicPartOf(p384).apply(ec.certificate().getPublicKey()));
        assertFalse(KeyPairs.matches(p384, ec.certificate().getPublicKey()));
    }
}
