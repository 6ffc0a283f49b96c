package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Subscription;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The single-broker example with TLS: only clients with a certificate from the cluster's CA get in. */
@External
class SingleBrokerTlsTest {
    static LocalBrokerCluster broker;

    @BeforeAll
    static void start() {
        broker = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(20).start();
    }

    @AfterAll
    static void stop() {
        if (broker != null) broker.close();
    }

    @Test
    void clientWithCertificateFromTheSameCaRoundTripsAMessage() throws Exception {
        try (Connection c = Clients.connect(broker.clientUrl(0), broker.clientCertificate(), broker.caPem())) {
            Subscription sub = c.subscribe("choria.reply.node-0");
            c.flush(Duration.ofSeconds(2));
            c.publish("choria.reply.node-0", "pong".getBytes(StandardCharsets.UTF_8));
            Message m = sub.nextMessage(Duration.ofSeconds(5));
            assertEquals("pong", new String(m.getData(), StandardCharsets.UTF_8));
        }
        assertEquals("broker-single-0", io.choria.natsoperator.mesh.Monitors.varz(broker.monitorUri(0)).serverName());
    }

    @Test
    void clientWithCertificateFromAnotherCaIsRejected() {
        TestCa other = TestCa.ecRoot("Another CA");
        TestCa.Pems foreign = other.issueClientCertificate("intruder.example.net");
        // The client trusts the broker (right CA bundle) but presents a certificate the broker cannot verify.
        assertThrows(Exception.class, () -> Clients.connect(broker.clientUrl(0), foreign, broker.caPem()).close());
    }

    @Test
    void clientWithoutCertificateIsRejected() {
        assertThrows(Exception.class, () -> Clients.connect(broker.clientUrl(0), null, broker.caPem()).close());
    }

    @Test
    void aSingleBrokerIsMeshedWithoutRoutes() {
        MeshObservation mesh = BrokerAsserts.check(broker);
        assertTrue(mesh.meshed(), mesh.toString());
        assertEquals(Reason.FullMesh, mesh.reason());
    }
}
