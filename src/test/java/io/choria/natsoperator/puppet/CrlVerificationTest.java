package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The CRLs that decide who is refused are the Puppet CA's own and current: signed by a CA of the bundle the
 * user gave, under that CA's name, and before their nextUpdate. Anything else keeps the last list in force.
 */
class CrlVerificationTest {
    static final Instant NOW = Instant.now();
    static final TestCa ROOT = TestCa.ecRoot("Puppet Root CA: puppet.example.com", NOW);
    /** Puppet 7 signs with an intermediate and serves its CRL first, then the root's. */
    static final TestCa ISSUING = ROOT.intermediate("Puppet CA: puppet.example.com", KeyAlgorithm.EC_P256);
    static final Duration DAY = Duration.ofDays(1);

    static TrustBundle bundle() throws Exception {
        return TrustBundle.parse(ISSUING.rootFirstBundlePem());
    }

    @Test
    void puppetsCrlsSignedByTheBundleAndCurrentAreRead() throws Exception {
        String pem = ISSUING.crlPem(NOW, NOW.plus(DAY), BigInteger.valueOf(5), BigInteger.valueOf(9)) + ROOT.crlPem(NOW, NOW.plus(DAY));
        var crls = InventorySync.verifiedCrls(pem, bundle(), NOW);
        assertEquals(2, crls.size());
        assertEquals(Set.of(BigInteger.valueOf(5), BigInteger.valueOf(9)), InventorySync.revokedSerials(crls));
    }

    @Test
    void aCrlUnderTheCasNameSignedByAnotherKeyIsRefused() throws Exception {
        TestCa forger = TestCa.ecRoot("Puppet CA: puppet.example.com", NOW);
        String forged = ISSUING.crlPem(forger.keyPair().getPrivate(), NOW, NOW.plus(DAY));
        PuppetCaException e = assertThrows(PuppetCaException.class, () -> InventorySync.verifiedCrls(forged, bundle(), NOW));
        assertTrue(e.getMessage().contains("is not signed by that CA's key in the CA bundle"), e.getMessage());
        assertEquals(PuppetCaException.Kind.UNREACHABLE, e.kind(), "the last list stays in force");
    }

    @Test
    void aCrlOfAnotherCaIsRefused() throws Exception {
        TestCa other = TestCa.ecRoot("Another CA", NOW);
        String pem = ISSUING.crlPem(NOW, NOW.plus(DAY)) + other.crlPem(NOW, NOW.plus(DAY));
        PuppetCaException e = assertThrows(PuppetCaException.class, () -> InventorySync.verifiedCrls(pem, bundle(), NOW));
        assertTrue(e.getMessage().contains("the CRL's issuer CN=Another CA is not in the CA bundle"), e.getMessage());
    }

    @Test
    void anOutOfDateCrlIsRefused() throws Exception {
        String current = ISSUING.crlPem(NOW, NOW.plus(DAY));
        InventorySync.verifiedCrls(current, bundle(), NOW.plus(DAY).minusSeconds(1));
        PuppetCaException e = assertThrows(PuppetCaException.class, () -> InventorySync.verifiedCrls(current, bundle(), NOW.plus(DAY)));
        assertTrue(e.getMessage().contains("is out of date: its nextUpdate"), e.getMessage());
        String replayed = ISSUING.crlPem(NOW.minus(DAY.multipliedBy(8)), NOW.minus(DAY.multipliedBy(1)));
        assertThrows(PuppetCaException.class, () -> InventorySync.verifiedCrls(replayed, bundle(), NOW));
    }
}
