package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link InventorySync} across syncs, against the Puppet CA stand-in: a key fetched and cached on one sync is
 * dropped on a later one as soon as its serial is on the CRL, although {@code certificate_statuses} still lists
 * the certificate as {@code signed} and the cache spares the sync from fetching it again.
 */
class InventorySyncTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: inventory stand-in");

    static X509Certificate parse(String pem) throws Exception {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void aCachedKeyWhoseSerialReachesTheCrlIsDroppedWithoutAFetch() throws Exception {
        try (PuppetCaStandIn puppet = PuppetCaStandIn.start(CA)) {
            X509Certificate one = parse(puppet.addNode("one.example.net").certPem());
            X509Certificate two = parse(puppet.addNode("two.example.net").certPem());
            String pinOne = TrustBundle.publicKeyPin(one);
            String pinTwo = TrustBundle.publicKeyPin(two);
            PuppetCaClient client = PuppetCaClient.anonymous(puppet.url(), CA.certPem());
            TrustBundle bundle = TrustBundle.parse(CA.certPem());
            InventorySync sync = new InventorySync();
            Instant now = CA.madeAt().plusSeconds(60);

            InventorySync.Result first = sync.sync(client, bundle, now);
            assertEquals(Set.of(pinOne, pinTwo), first.admitted(), "both signed certificates admitted");
            assertEquals(2, first.signed());
            assertEquals(2, first.fetched(), "a first sync fetches each certificate");
            assertEquals(2, puppet.certificateFetches());
            assertTrue(first.namesByKey().get(pinOne).contains("one.example.net"), first.namesByKey().toString());
            assertTrue(first.namesByKey().get(pinTwo).contains("two.example.net"), first.namesByKey().toString());
            assertTrue(first.revokedSerials().isEmpty());

            // The CRL now lists one's serial; certificate_statuses still says signed, with the same fingerprint.
            puppet.listOnCrl(one.getSerialNumber());
            InventorySync.Result second = sync.sync(client, bundle, now);
            assertEquals(2, second.signed(), "the statuses still list both as signed");
            assertEquals(Set.<BigInteger>of(one.getSerialNumber()), second.revokedSerials());
            assertEquals(Set.of(pinTwo), second.admitted(), "the key whose serial is on the CRL is no longer admitted");
            assertEquals(0, second.fetched(), "the cache was used: nothing fetched again");
            assertEquals(2, puppet.certificateFetches(), "no certificate request on the second sync");
            assertFalse(second.namesByKey().containsKey(pinOne), "its names are gone: " + second.namesByKey());
            assertEquals(Set.of(pinTwo), second.namesByKey().keySet());
            assertTrue(second.namesByKey().values().stream().noneMatch(names -> names.contains("one.example.net")),
                    second.namesByKey().toString());

            // A third sync with the same CRL: still dropped (the cache kept the serial, not a verdict of one sync).
            InventorySync.Result third = sync.sync(client, bundle, now);
            assertEquals(Set.of(pinTwo), third.admitted());
            assertEquals(0, third.fetched());
        }
    }
}
