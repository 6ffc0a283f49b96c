package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.inputs.BrokerCertificates;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.ConnectionListener.Events;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 6's acceptance point: the 3-broker example scaled to 5 and back to 3 by reloading the rendered
 * config, with zero restarts and zero client reconnects on the brokers that stay.
 *
 * <p>Everything the brokers see is rendered by the model as the operator would: the 5-broker routes,
 * a certificate re-issued by {@link BrokerCertificates#plan} for the new SANs, and the 3-broker routes
 * again. The reload is triggered the way the pod does it: the rendered config-reloader sidecar script
 * runs next to each broker (1 s interval) and signals it when its files change. Brokers 3 and 4 leave
 * through the rendered preStop command (lame duck) and a SIGTERM, as the kubelet does it.
 */
@Timeout(60)
@External
class ScaleByReloadTest {
    private static final Duration RELOAD_TIMEOUT = Duration.ofSeconds(10);

    @Test
    void scalesThreeToFiveToThreeByReloadWithoutRestartOrReconnect() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS))
                .firstHost(50).capacity(5).start()) {
            BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
            long[] pids = new long[3];
            long[] ticks = new long[3];
            String[] started = new String[3];
            for (int i = 0; i < 3; i++) {
                pids[i] = brokers.pid(i);
                ticks[i] = brokers.processStartTicks(i);
                started[i] = BrokerAsserts.varz(brokers.monitorUri(i)).path("start").asText();
                brokers.startReloader(i, 1);
            }
            SSLContext ctx = brokers.clientCertificate().clientContext(brokers.caPem());
            // One client per staying broker, knowing only that broker: a reconnect anywhere would be counted.
            List<Clients.Tracked> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) clients.add(Clients.Tracked.connect(List.of(brokers.clientUrl(i)), ctx));
                String serialBefore = CertificateInfo.parse(java.nio.file.Files.readString(java.nio.file.Path.of(brokers.paths(0).tlsCert())))
                        .serialHex();

                // ---- 3 -> 5 -------------------------------------------------------------------------------
                BrokerCertificates.Plan up = brokers.scaleTo(5);
                assertTrue(up.issuedBecause().isPresent(), "new SANs: the operator re-issues the certificate");
                assertTrue(!up.status().serial().equals(serialBefore), "a new serial");
                assertTrue(CertificateInfo.parse(up.files().certificateChainPem()).dnsNames().contains(brokers.names().podFqdn(4)),
                        "the re-issued certificate names broker-4");
                brokers.start(3);
                brokers.start(4);
                for (int i = 3; i < 5; i++) brokers.startReloader(i, 1);
                for (int i = 0; i < 3; i++) {
                    int b = i;
                    Await.until("broker-" + i + " reloaded by its reloader", RELOAD_TIMEOUT, () -> brokers.reloads(b), n -> n >= 1);
                }
                BrokerAsserts.awaitRemotes(brokers, List.of(4, 4, 4, 4, 4));
                for (int i = 0; i < 3; i++) {
                    int b = i;
                    Await.until("broker-" + i + " configured with 5 routes", RELOAD_TIMEOUT,
                            () -> BrokerAsserts.configuredRoutes(brokers, b), r -> r.size() == 5);
                }
                // The new brokers carry traffic of the old ones' clients: broker-0's client reaches a subscriber on broker-4.
                try (Clients.Tracked on4 = Clients.Tracked.connect(List.of(brokers.clientUrl(4)), ctx)) {
                    Subscription sub = on4.connection.subscribe("choria.broadcast.agent.discovery");
                    on4.connection.flush(Duration.ofSeconds(2));
                    Message m = Await.until("message from broker-0 on broker-4", Duration.ofSeconds(10), () -> {
                        clients.get(0).connection.publish("choria.broadcast.agent.discovery", "ping".getBytes());
                        try {
                            return sub.nextMessage(Duration.ofMillis(200));
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }, x -> true);
                    assertEquals("ping", BrokerAsserts.utf8(m.getData()));
                }
                assertSameProcessesAndClients(brokers, pids, ticks, started, clients, "after 3 -> 5");
                report("3 -> 5: remotes " + BrokerAsserts.remotes(brokers) + "; routes of broker-0 " + BrokerAsserts.configuredRoutes(brokers, 0)
                        + "; certificate " + serialBefore + " -> " + up.status().serial() + " (" + up.issuedBecause().orElseThrow()
                        + "); reloads " + List.of(brokers.reloads(0), brokers.reloads(1), brokers.reloads(2)));

                // ---- 5 -> 3 -------------------------------------------------------------------------------
                // A node on each broker that goes: it knows the staying brokers too (middleware_hosts), and must land there.
                for (int i = 3; i < 5; i++) {
                    clients.add(Clients.Tracked.connect(List.of(brokers.clientUrl(i), brokers.clientUrl(0), brokers.clientUrl(1),
                            brokers.clientUrl(2)), ctx));
                }
                // The StatefulSet drops pods 3 and 4: the kubelet runs the rendered preStop (lame duck), then SIGTERM,
                // which nats-server ignores while in lame duck: the broker exits by itself once its clients are gone.
                long down = System.nanoTime();
                for (int i = 3; i < 5; i++) {
                    BrokerAsserts.assertPreStopSignalsLameDuck(brokers, i);
                    assertEquals(0, brokers.runPreStop(i));
                    assertTrue(brokers.sigterm(i), "broker-" + i + " still runs when the preStop hook returns");
                }
                int[] exitCodes = new int[2];
                for (int i = 3; i < 5; i++) exitCodes[i - 3] = brokers.awaitExit(i, Duration.ofSeconds(25));
                long exitedMs = (System.nanoTime() - down) / 1_000_000;
                for (int i = 3; i < 5; i++) {
                    assertTrue(brokers.log(i).contains("Entering lame duck mode"), brokers.log(i));
                    Clients.Tracked moved = clients.get(i);
                    // Wait for what the assertion means: connected to a staying broker. Its first CONNECTED can be on
                    // the other leaving broker (3 and 4 go one after the other), and jnats may report CONNECTED a
                    // moment before it knows the URL.
                    List<String> staying = List.of(brokers.host(0), brokers.host(1), brokers.host(2));
                    Await.until("the client of broker-" + i + " on a staying broker " + staying, Duration.ofSeconds(30),
                            () -> moved.connection.getStatus() == io.nats.client.Connection.Status.CONNECTED
                                    ? moved.connection.getConnectedUrl() : null, u -> staying.stream().anyMatch(u::contains));
                }
                int[] reloadsBefore = {brokers.reloads(0), brokers.reloads(1), brokers.reloads(2)};
                BrokerCertificates.Plan downPlan = brokers.scaleTo(3);
                for (int i = 0; i < 3; i++) {
                    int b = i;
                    Await.until("broker-" + i + " reloaded again", RELOAD_TIMEOUT, () -> brokers.reloads(b), n -> n > reloadsBefore[b]);
                    Await.until("broker-" + i + " configured with 3 routes", RELOAD_TIMEOUT,
                            () -> BrokerAsserts.configuredRoutes(brokers, b), r -> r.size() == 3);
                }
                BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
                assertSameProcessesAndClients(brokers, pids, ticks, started, clients, "after 5 -> 3");
                report("5 -> 3: brokers 3 and 4 exited by themselves (codes " + exitCodes[0] + ", " + exitCodes[1] + ") " + exitedMs
                        + " ms after preStop; their clients moved to " + clients.get(3).connection.getConnectedUrl() + " and "
                        + clients.get(4).connection.getConnectedUrl() + "; remotes " + BrokerAsserts.remotes(brokers)
                        + "; routes of broker-0 " + BrokerAsserts.configuredRoutes(brokers, 0)
                        + "; certificate " + downPlan.status().serial() + "; pids " + java.util.Arrays.toString(pids)
                        + " start ticks " + java.util.Arrays.toString(ticks) + " unchanged; reloads " + List.of(brokers.reloads(0),
                        brokers.reloads(1), brokers.reloads(2)) + "; reconnects of the staying brokers' clients "
                        + clients.subList(0, 3).stream().map(Clients.Tracked::reconnects).toList());
            } finally {
                Clients.closeAll(clients);
            }
        }
    }

    /** One line of figures per step on stdout (the test log), for docs/TESTING.md and reviews. */
    static void report(String line) {
        System.out.println("[day2] " + line);
    }

    private static void assertSameProcessesAndClients(LocalBrokerCluster brokers, long[] pids, long[] ticks, String[] started,
                                                      List<Clients.Tracked> clients, String when) throws Exception {
        for (int i = 0; i < 3; i++) {
            assertTrue(brokers.running(i), "broker-" + i + " runs " + when);
            assertEquals(pids[i], brokers.pid(i), "broker-" + i + " keeps its pid " + when);
            assertEquals(ticks[i], brokers.processStartTicks(i), "broker-" + i + " keeps its process start time " + when);
            assertEquals(started[i], BrokerAsserts.varz(brokers.monitorUri(i)).path("start").asText(),
                    "broker-" + i + " /varz start unchanged " + when);
            Clients.Tracked c = clients.get(i);
            assertEquals(io.nats.client.Connection.Status.CONNECTED, c.connection.getStatus(), "client of broker-" + i + " " + when);
            assertEquals(0, c.reconnects(), "client of broker-" + i + " never reconnected " + when);
            assertEquals(0, c.count(Events.DISCONNECTED), "client of broker-" + i + " never disconnected " + when + ": " + c.events);
            assertTrue(c.connection.getConnectedUrl().contains(brokers.host(i)), c.connection.getConnectedUrl());
        }
    }
}
