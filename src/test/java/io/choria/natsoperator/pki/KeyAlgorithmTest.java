package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class KeyAlgorithmTest {

    @Test
    void specNamesRoundTrip() {
        for (KeyAlgorithm alg : KeyAlgorithm.values()) {
            assertEquals(alg, KeyAlgorithm.fromSpec(alg.specName()));
        }
        assertEquals(KeyAlgorithm.RSA_2048, KeyAlgorithm.fromSpec("RSA-2048"));
        assertEquals(KeyAlgorithm.EC_P256, KeyAlgorithm.fromSpec("EC-P256"));
    }

    @Test
    void unknownNamesAreRejectedWithTheAllowedValues() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.fromSpec("RSA-4096"));
        assertTrue(e.getMessage().contains("RSA-4096") && e.getMessage().contains("RSA-2048, EC-P256"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.fromSpec(null));
        assertThrows(IllegalArgumentException.class, () -> KeyAlgorithm.fromSpec("rsa_2048"));
    }

    @Test
    void recognisesGeneratedKeys() throws Exception {
        for (KeyAlgorithm alg : KeyAlgorithm.values()) {
            assertEquals(alg, KeyAlgorithm.of(CertificateAuthority.generateKeyPair(alg).getPublic()).orElseThrow());
        }
    }
}
