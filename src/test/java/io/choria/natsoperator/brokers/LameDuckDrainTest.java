package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.model.Durations;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener.Events;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The rendered preStop command drains a broker gradually. 30 TLS clients on broker 0, each knowing all
 * three brokers (as {@code plugin.choria.middleware_hosts} lists them); the kubelet's sequence is replayed:
 * the preStop exec ({@code nats-server --signal ldm=<pid file>}), then SIGTERM as soon as it returns.
 *
 * <p>What nats-server 2.9.10 does with the rendered {@code lame_duck_duration: 30s} (the minimum, and the
 * default) and {@code lame_duck_grace_period: 10s}: it stops accepting at once, ignores the SIGTERM, waits
 * the grace period, then closes one client every {@code (30s - 10s) / 30} on average (a random pause between
 * half that and that), and exits by itself after the last one: about 10 s + 15 s here.
 */
@Timeout(120)
@External
class LameDuckDrainTest {
    private static final int CLIENTS = 30;

    @Test
    void preStopClosesClientsGraduallyAndTheyReconnectToTheOtherBrokers() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(70).start()) {
            assertEquals("30s", brokers.cluster().getSpec().getLimits().getLameDuckDuration(), "the default lame_duck_duration");
            long ldmSeconds = Durations.seconds(brokers.cluster().getSpec().getLimits().getLameDuckDuration());
            BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
            SSLContext ctx = brokers.clientCertificate().clientContext(brokers.caPem());
            List<Clients.Tracked> clients = new ArrayList<>();
            try {
                for (int i = 0; i < CLIENTS; i++) {
                    // broker-0 first; then half try broker-1 next, half broker-2.
                    List<String> urls = i % 2 == 0 ? List.of(brokers.clientUrl(0), brokers.clientUrl(1), brokers.clientUrl(2))
                            : List.of(brokers.clientUrl(0), brokers.clientUrl(2), brokers.clientUrl(1));
                    clients.add(Clients.Tracked.connect(urls, ctx));
                }
                for (Clients.Tracked c : clients) assertTrue(c.connection.getConnectedUrl().contains(brokers.host(0)));
                assertEquals(CLIENTS, io.choria.natsoperator.mesh.Monitors.varz(brokers.monitorUri(0)).connections());
                BrokerAsserts.assertPreStopSignalsLameDuck(brokers, 0);
                long t0 = System.nanoTime();
                assertEquals(0, brokers.runPreStop(0));
                assertTrue(brokers.sigterm(0), "broker-0 still runs when the preStop hook returns");
                int exit = brokers.awaitExit(0, Duration.ofSeconds(ldmSeconds + 10));
                long exitedMs = (System.nanoTime() - t0) / 1_000_000;
                // Where each client landed, read once it is there: jnats can show CONNECTED a moment before the new
                // server's URL is set (and no URL between servers), so the URL is taken from the wait, not read again.
                List<String> landed = new ArrayList<>();
                List<String> others = List.of(brokers.host(1), brokers.host(2));
                for (Clients.Tracked c : clients) {
                    landed.add(Await.until("client reconnected to broker-1 or broker-2", Duration.ofSeconds(10),
                            () -> c.connection.getStatus() == Connection.Status.CONNECTED ? c.connection.getConnectedUrl() : null,
                            url -> others.stream().anyMatch(url::contains)));
                }
                // When did each client lose broker-0, in ms after the preStop hook?
                List<Long> disconnectMs = new ArrayList<>();
                for (Clients.Tracked c : clients) {
                    long d = c.firstNanos(Events.DISCONNECTED);
                    assertTrue(d > 0, "every client was disconnected: " + c.events);
                    disconnectMs.add((d - t0) / 1_000_000);
                }
                disconnectMs.sort(null);
                long first = disconnectMs.get(0);
                long last = disconnectMs.get(CLIENTS - 1);
                Map<Long, Integer> perSecond = new TreeMap<>();
                for (long ms : disconnectMs) perSecond.merge(ms / 1000, 1, Integer::sum);
                int busiestSecond = perSecond.values().stream().max(Integer::compare).orElseThrow();
                Map<String, Integer> landedOn = new TreeMap<>();
                for (String url : landed) landedOn.merge(url, 1, Integer::sum);

                long sawLameDuck = clients.stream().filter(c -> c.count(Events.LAME_DUCK) > 0).count();
                ScaleByReloadTest.report("lame duck: " + CLIENTS + " clients on broker-0, " + sawLameDuck + " told of lame duck; first disconnect " + first + " ms after preStop, last "
                        + last + " ms (spread " + (last - first) + " ms); busiest second " + busiestSecond + " disconnects; per second "
                        + perSecond + "; broker-0 exited by itself (code " + exit + ") after " + exitedMs + " ms; clients landed on "
                        + landedOn + "; reconnects per client " + clients.stream().map(Clients.Tracked::reconnects).distinct().toList());

                // Bounds with room for a busy machine: a late client thread can only make closes look later or bunch a
                // few together, so each bound sits between what the broker does (closes from 10 s on, 0.33-0.67 s
                // apart: about 15 s of spread, 1-3 a second) and what a storm would be (all 30 within one second).
                assertTrue(first >= 9_000, "the grace period (10 s) passes before the first client is closed: " + first);
                assertTrue(last - first >= 5_000, "closes spread over the lame-duck window, not one storm: " + disconnectMs);
                assertTrue(busiestSecond <= CLIENTS / 3, "a few closes per second, not a storm: " + perSecond);
                assertTrue(exitedMs < (ldmSeconds + 10) * 1000, "the broker exits by itself after the lame-duck window: " + exitedMs);
                assertTrue(brokers.log(0).contains("Entering lame duck mode"));
                assertEquals(CLIENTS, sawLameDuck, "every client got the server's lame-duck notice (INFO ldm)");
                for (Clients.Tracked c : clients) {
                    assertEquals(1, c.reconnects(), "one reconnect each: " + c.events);
                }
                assertEquals(2, landedOn.size(), "both remaining brokers took clients: " + landedOn);
                BrokerAsserts.awaitRemotes(brokers, List.of(-1, 1, 1));
            } finally {
                Clients.closeAll(clients);
            }
        }
    }
}
