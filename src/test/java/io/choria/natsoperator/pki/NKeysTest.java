package io.choria.natsoperator.pki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nats.client.NKey;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** The operator's nkeys as the nkeys library (jnats' NKey, from the seed we encode) reads, derives and checks them. */
class NKeysTest {
    @Test
    void theSeedThePublicKeyAndTheSignatureAreWhatTheNkeysLibraryMakesOfThem() throws Exception {
        NKeys ours = NKeys.derived("route password", "nats-operator test v1");
        NKey theirs = NKey.fromSeed(ours.encodedSeed().toCharArray());
        assertTrue(ours.encodedSeed().startsWith("SU"), ours.encodedSeed());
        assertEquals(new String(theirs.getPublicKey()), ours.publicKey());
        assertTrue(ours.publicKey().startsWith("U") && ours.publicKey().length() == 56, ours.publicKey());
        String nonce = "Wf8Kzc3aT9qQ0PTG4Y2kBA";
        byte[] sig = Base64.getUrlDecoder().decode(ours.sign(nonce));
        assertTrue(theirs.verify(nonce.getBytes(StandardCharsets.US_ASCII), sig), "nats-server checks the signature as NKey.verify does");
        assertFalse(ours.sign(nonce).contains("="), "base64url without padding");
        assertEquals(ours.publicKey(), NKeys.derived("route password", "nats-operator test v1").publicKey(), "derived: the same every time");
        assertNotEquals(ours.publicKey(), NKeys.derived("route password", "another label").publicKey());
        assertFalse(ours.toString().contains(ours.encodedSeed()));
        assertEquals(ours.publicKey(), NKeys.parseSeed(ours.encodedSeed()).publicKey(), "read back from a Secret");
        String seed = ours.encodedSeed();
        String flipped = seed.substring(0, 20) + (seed.charAt(20) == 'A' ? 'B' : 'A') + seed.substring(21);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> NKeys.parseSeed(flipped), "the checksum catches a typo");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> NKeys.parseSeed(ours.publicKey()));
    }
}
