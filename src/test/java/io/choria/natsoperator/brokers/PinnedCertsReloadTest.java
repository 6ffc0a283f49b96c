package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The allow-list the operator renders for Puppet enrolment, on a real nats-server: only pinned
 * keys get in; a key dropped from the list is refused after a reload; its open connection is
 * closed by the second, epoch-only change (nats-server 2.9/2.10 check open connections against
 * the list before the reload), while an admitted node stays connected throughout.
 */
@Timeout(60)
@External
class PinnedCertsReloadTest {

    @Test
    void droppedKeyIsRefusedAndItsOpenConnectionClosedByTheEpochPass() throws Exception {
        TestCa ca = TestCa.rsaRoot("Pinned Test CA");
        TestCa.Pems kept = ca.issueClientCertificate("kept.example.net");
        TestCa.Pems revoked = ca.issueClientCertificate("revoked.example.net");
        TestCa.Pems unknown = ca.issueClientCertificate("unknown.example.net");
        String keptPin = TrustBundle.publicKeyPin(kept.certPem());
        String revokedPin = TrustBundle.publicKeyPin(revoked.certPem());
        PinnedKeys both = PinnedKeys.none().with(Set.of(keptPin, revokedPin));

        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(120)
                .pinnedCerts(both.render("choria", "broker")).start()) {
            String url = brokers.clientUrl(0);
            String caPem = brokers.caPem();
            assertTrue(brokers.log(0).isEmpty() || !brokers.log(0).contains("error"), brokers.log(0));
            try (Connection keptConn = Clients.connect(url, kept, caPem);
                 Connection revokedConn = Clients.connect(url, revoked, caPem)) {
                assertEquals(Connection.Status.CONNECTED, keptConn.getStatus());
                assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, unknown.clientContext(caPem)),
                        "a key not on the list is refused as such");

                PinnedKeys dropped = both.with(Set.of(keptPin));
                assertTrue(dropped.dropsAnyOf(both));
                brokers.updatePinnedCerts(dropped.render("choria", "broker"));
                brokers.reload(0);
                Await.until("the reload took the shorter list", Duration.ofSeconds(10), () -> brokers.log(0), l -> l.contains("Reloaded: 2 pinned_certs"));
                assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, revoked.clientContext(caPem)),
                        "a dropped key is refused after the reload");
                // nats-server compares open connections with the list it had before this reload, so the revoked one is still here.
                ScaleByReloadTest.report("pinned_certs: open connection of the dropped key after the first reload: " + revokedConn.getStatus());

                brokers.updatePinnedCerts(dropped.nextEpoch().render("choria", "broker"));
                brokers.reload(0);
                Await.until("the epoch pass closes the dropped key's open connection", Duration.ofSeconds(10),
                        revokedConn::getStatus, s -> s != Connection.Status.CONNECTED);
                assertTrue(brokers.log(0).contains("Disconnect 1 clients due to pinned certs reload"), brokers.log(0));
                assertEquals(Connection.Status.CONNECTED, keptConn.getStatus(), "the admitted node stays connected");
                try (Connection again = Clients.connect(url, kept, caPem)) {
                    assertEquals(Connection.Status.CONNECTED, again.getStatus());
                }
            }
        }
    }

    @Test
    void renderedListReadsBackAndAnEmptyInventoryStillPins() {
        PinnedKeys none = PinnedKeys.none();
        String file = none.render("ns", "c");
        assertTrue(file.contains("pinned_certs: ["), file);
        assertEquals(1, file.lines().filter(l -> l.matches("\\s+\"[0-9a-f]{64}\"")).count(), "the epoch entry keeps an empty list pinning");
        PinnedKeys some = none.with(List.of("a".repeat(64), "b".repeat(64)));
        assertEquals(some, PinnedKeys.parse(some.render("ns", "c"), "ns", "c"));
        assertEquals(some, some.with(List.of("b".repeat(64), "a".repeat(64))), "same keys, same list: nothing to write");
    }
}
