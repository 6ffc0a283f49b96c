package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener.Events;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A renewed certificate reaches running brokers by reload, not restart: a new broker certificate from the
 * same CA is written to the brokers' tls files (as the kubelet updates the TLS Secret's mount), the rendered
 * config-reloader sidecar signals each broker, and a fresh TLS handshake to the client port and to the route
 * port shows the new serial while the process, the mesh and an existing client stay as they were.
 */
@Timeout(60)
@External
class CertificateRenewalReloadTest {

    @Test
    void renewedCertificateIsServedAfterReloadWithoutRestart() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(60).start()) {
            BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
            SSLContext ctx = brokers.clientCertificate().clientContext(brokers.caPem());
            int clientPort = brokers.cluster().getSpec().getPorts().getClient();
            int routePort = brokers.cluster().getSpec().getPorts().getCluster();
            String oldSerial = CertificateInfo.parse(Files.readString(Path.of(brokers.paths(0).tlsCert()))).serialHex();
            long[] pids = new long[3];
            long[] ticks = new long[3];
            for (int i = 0; i < 3; i++) {
                assertEquals(oldSerial, BrokerAsserts.serialHex(BrokerAsserts.servedCertificate(brokers.host(i), clientPort, ctx, true)));
                assertEquals(oldSerial, BrokerAsserts.serialHex(BrokerAsserts.servedCertificate(brokers.host(i), routePort, ctx, false)));
                pids[i] = brokers.pid(i);
                ticks[i] = brokers.processStartTicks(i);
                brokers.startReloader(i, 1);
            }
            List<Clients.Tracked> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) clients.add(Clients.Tracked.connect(List.of(brokers.clientUrl(i)), ctx));

                IssuedCertificate renewed = brokers.renewCertificate();
                assertNotEquals(oldSerial, renewed.serialHex());
                List<String> servedClient = new ArrayList<>();
                List<String> servedRoute = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int b = i;
                    Await.until("broker-" + i + " reloaded by its reloader", Duration.ofSeconds(10), () -> brokers.reloads(b), n -> n >= 1);
                    servedClient.add(Await.until("broker-" + i + " serves the renewed certificate on " + clientPort, Duration.ofSeconds(10),
                            () -> serial(brokers.host(b), clientPort, ctx, true), renewed.serialHex()::equals));
                    servedRoute.add(Await.until("broker-" + i + " serves the renewed certificate on " + routePort, Duration.ofSeconds(10),
                            () -> serial(brokers.host(b), routePort, ctx, false), renewed.serialHex()::equals));
                    assertEquals(pids[i], brokers.pid(i), "broker-" + i + " keeps its pid");
                    assertEquals(ticks[i], brokers.processStartTicks(i), "broker-" + i + " keeps its start time");
                }
                // The mesh and the clients connected before the renewal are untouched; a new client handshakes with the new certificate.
                assertEquals(List.of(2, 2, 2), BrokerAsserts.remotes(brokers));
                for (int i = 0; i < 3; i++) {
                    Clients.Tracked c = clients.get(i);
                    assertEquals(Connection.Status.CONNECTED, c.connection.getStatus());
                    assertEquals(0, c.reconnects());
                    assertEquals(0, c.count(Events.DISCONNECTED), c.events.toString());
                }
                try (Connection fresh = Clients.connect(brokers.clientUrl(1), ctx)) {
                    assertEquals(Connection.Status.CONNECTED, fresh.getStatus());
                }
                assertTrue(brokers.log(0).contains("Reloaded: tls"), "the reload took the TLS config");
                ScaleByReloadTest.report("renewal: certificate " + oldSerial + " -> " + renewed.serialHex() + "; served on client port "
                        + servedClient + ", on route port " + servedRoute + "; pids " + java.util.Arrays.toString(pids) + " unchanged; reloads "
                        + List.of(brokers.reloads(0), brokers.reloads(1), brokers.reloads(2)) + "; remotes " + BrokerAsserts.remotes(brokers)
                        + "; client reconnects " + clients.stream().map(Clients.Tracked::reconnects).toList());
            } finally {
                Clients.closeAll(clients);
            }
        }
    }

    private static String serial(String host, int port, SSLContext ctx, boolean infoFirst) {
        try {
            return BrokerAsserts.serialHex(BrokerAsserts.servedCertificate(host, port, ctx, infoFirst));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
