package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The 3-broker example, rendered by the model with TLS, as three real nats-server processes. */
@External
class ThreeBrokerMeshTest {
    static LocalBrokerCluster brokers;

    @BeforeAll
    static void start() {
        brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(2).start();
    }

    @AfterAll
    static void stop() {
        if (brokers != null) brokers.close();
    }

    @Test
    void eachBrokerReportsTwoRemotesInVarz() throws Exception {
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        for (int i = 0; i < 3; i++) {
            MonitorClient.Varz v = io.choria.natsoperator.mesh.Monitors.varz(brokers.monitorUri(i));
            assertEquals("broker-" + i, v.serverName(), "server_name comes from POD_NAME");
        }
    }

    @Test
    void messagePublishedOnBrokerZeroReachesSubscribersOnBrokersOneAndTwo() throws Exception {
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        String subject = "choria.broadcast.agent.rpcutil";
        try (Connection pub = Clients.connect(brokers.clientUrl(0), brokers.clientCertificate(), brokers.caPem());
             Connection sub1 = Clients.connect(brokers.clientUrl(1), brokers.clientCertificate(), brokers.caPem());
             Connection sub2 = Clients.connect(brokers.clientUrl(2), brokers.clientCertificate(), brokers.caPem())) {
            Subscription s1 = sub1.subscribe(subject);
            Subscription s2 = sub2.subscribe(subject);
            sub1.flush(Duration.ofSeconds(2));
            sub2.flush(Duration.ofSeconds(2));
            // Interest crosses the routes asynchronously: publish until both have one (bounded), then check the payload.
            byte[] body = "ping from broker-0".getBytes(StandardCharsets.UTF_8);
            var got1 = Await.until("broker-1 subscriber", Duration.ofSeconds(10), () -> {
                pub.publish(subject, body);
                try {
                    return s1.nextMessage(Duration.ofMillis(200));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, m -> true);
            var got2 = Await.until("broker-2 subscriber", Duration.ofSeconds(10), () -> {
                pub.publish(subject, body);
                try {
                    return s2.nextMessage(Duration.ofMillis(200));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, m -> true);
            assertEquals("ping from broker-0", new String(got1.getData(), StandardCharsets.UTF_8));
            assertEquals("ping from broker-0", new String(got2.getData(), StandardCharsets.UTF_8));
            assertTrue(sub1.getConnectedUrl().contains(brokers.host(1)), "subscriber 1 is on broker-1: " + sub1.getConnectedUrl());
            assertTrue(sub2.getConnectedUrl().contains(brokers.host(2)), "subscriber 2 is on broker-2: " + sub2.getConnectedUrl());
        }
    }

    @Test
    void routesMeshedIsTrueForTheFullMesh() {
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        MeshObservation mesh = BrokerAsserts.check(brokers);
        assertTrue(mesh.meshed(), mesh.toString());
        assertEquals(Reason.FullMesh, mesh.reason());
        var condition = BrokerAsserts.routesMeshedCondition(brokers, mesh);
        assertEquals("True", condition.getStatus());
        assertEquals("each of the 3 brokers sees 2 peers", condition.getMessage());
    }

    @Test
    void routesMeshedIsFalseNamingTheBrokerThatIsStopped() {
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        brokers.stop(2);
        try {
            MeshObservation mesh = BrokerAsserts.check(brokers);
            assertFalse(mesh.meshed());
            assertEquals(Reason.BrokerUnreachable, mesh.reason());
            assertTrue(mesh.message().startsWith("broker-2 did not answer /varz: connection refused"), mesh.message());
            var condition = BrokerAsserts.routesMeshedCondition(brokers, mesh);
            assertEquals("False", condition.getStatus());
            assertEquals(Reason.BrokerUnreachable.name(), condition.getReason());
            // The survivors notice the lost route and see only each other.
            BrokerAsserts.awaitRemotes(brokers, List.of(1, 1, -1));
        } finally {
            brokers.start(2);
        }
        // The restarted broker rejoins: its routes name every peer, the peers retry theirs.
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        assertTrue(BrokerAsserts.check(brokers).meshed());
    }

    @Test
    void configReloadKeepsTheMeshAndTheProcess() {
        BrokerAsserts.awaitRemotes(brokers, List.of(2, 2, 2));
        long pid = brokers.pid(0);
        brokers.reload(0);
        Await.until("reload logged", Duration.ofSeconds(5), () -> brokers.log(0), l -> l.contains("Reloaded server configuration"));
        assertEquals(pid, brokers.pid(0));
        assertEquals(List.of(2, 2, 2), BrokerAsserts.remotes(brokers));
    }
}
