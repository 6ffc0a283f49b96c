package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.LeafNodeRemote;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.LeafChecker;
import io.choria.natsoperator.mesh.LeafChecker.LeafObservation;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hub and an edge site joined by a leaf node, both NatsClusters rendered by the model and run as
 * real nats-server processes on loopback: the hub (1 broker, 127.0.0.210) accepts leaf nodes with
 * TLS verified against the Puppet CA, and only the edge it names (spec.leafnodes.edges); the edge (1 broker, 127.0.0.211) dials the hub's leaf node
 * Service by name (resolved by the edge's private hosts file, as cluster DNS would) with its own
 * broker certificate from the same CA. Leafs without a certificate from that CA are plain
 * nats-server processes (127.0.0.212 and .213) that skip verifying the hub, so only the hub decides.
 */
@External
class LeafNodeSiteTest {
    static final String SUBJECT = "choria.broadcast.agent.rpcutil";
    static final String HUB_SERVICE = "hub-leafnodes.site-hub.svc.cluster.local";
    static final int HUB_HOST = 210;
    static final int EDGE_HOST = 211;
    static LocalBrokerCluster hub;
    static LocalBrokerCluster edge;

    /** The Puppet CA of both sites: it has signed the edge, and every other node of the fleet. */
    static final TestCa CA = TestCa.rsaRoot("Test Puppet CA");
    /** The name the hub admits: a DNS name the edge's broker certificate carries (its client Service). */
    static final String EDGE_NAME = "edge.site-edge.svc";

    @BeforeAll
    static void start() {
        TestCa ca = CA;
        try {
            // The edge first (it dials until the hub is up): the hub pins its key, as the operator does from the Puppet
            // CA's inventory when it enforces revocation.
            edge = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(EDGE_HOST).edit(LeafNodeSiteTest::edge)
                    .host(HUB_SERVICE, LocalBrokerCluster.hosts(HUB_HOST, 1)).start();
            hub = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(ca).firstHost(HUB_HOST).edit(LeafNodeSiteTest::hub)
                    .portPinnedCerts(portPins(edge.certificatePem())).start();
        } catch (RuntimeException | Error e) {
            stop();
            throw e;
        }
    }

    /** A node Puppet signed that the hub does not name. */
    static final TestCa.Pems NODE7 = CA.issueClientCertificate("node7.example.net");

    /**
     * The hub's lists, cut by the operator's own code from an inventory holding the edge's signed certificate;
     * plus node7's key, so that node7's refusal below is the name check's alone.
     */
    static io.choria.natsoperator.model.PortPinnedCerts portPins(String edgeCertificatePem) {
        try {
            java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(edgeCertificatePem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            NatsCluster nc = Examples.load(Examples.ONE_BROKER);
            hub(nc);
            nc = io.choria.natsoperator.model.SpecDefaults.withDefaults(nc);
            var names = io.choria.natsoperator.model.Names.of(nc, LocalBrokerCluster.CLUSTER_DOMAIN);
            var cut = io.choria.natsoperator.puppet.PortPins.of(nc.getSpec(), names,
                    java.util.Map.of(io.choria.natsoperator.pki.TrustBundle.publicKeyPin(cert), io.choria.natsoperator.puppet.CertificateNames.of(cert)));
            assertEquals(Set.of(io.choria.natsoperator.pki.TrustBundle.publicKeyPin(cert)), cut.leafnodes());
            var leaf = new java.util.TreeSet<>(cut.leafnodes());
            leaf.add(io.choria.natsoperator.pki.TrustBundle.publicKeyPin(NODE7.certPem()));
            return new io.choria.natsoperator.puppet.PortPins(leaf, null).render(names.namespace(), names.cluster());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void hub(NatsCluster nc) {
        nc.getMetadata().setName("hub");
        nc.getMetadata().setNamespace("site-hub");
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setEdges(List.of(EDGE_NAME));
        nc.getSpec().setLeafnodes(leaf);
    }

    static void edge(NatsCluster nc) {
        nc.getMetadata().setName("edge");
        nc.getMetadata().setNamespace("site-edge");
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setAccept(false);
        LeafNodeRemote remote = new LeafNodeRemote();
        remote.setUrls(List.of("tls://" + HUB_SERVICE + ":7422"));
        leaf.setRemotes(List.of(remote));
        nc.getSpec().setLeafnodes(leaf);
    }

    @AfterAll
    static void stop() {
        if (edge != null) edge.close();
        if (hub != null) hub.close();
    }

    /** The JVM does not see the brokers' private hosts file: the hub's Service name resolves as the edge's does. */
    static LeafChecker checker() {
        return new LeafChecker(new MonitorClient(), host -> host.equals(HUB_SERVICE) ? Set.of(hub.host(0)) : Set.of());
    }

    static LeafObservation leafs(LocalBrokerCluster site) {
        return checker().check(site.cluster(), site::monitorUri);
    }

    static MonitorClient.Leafz leafz(LocalBrokerCluster site) {
        return new MonitorClient().leafzAsync(site.monitorUri(0)).join();
    }

    static void awaitEdgeConnected() {
        Await.until("the edge's leaf connection to the hub", Duration.ofSeconds(30), () -> leafs(edge), LeafObservation::connected);
    }

    @Test
    void theEdgeConnectsWithItsPuppetSignedCertificateAndBothConditionsSaySo() {
        awaitEdgeConnected();
        MonitorClient.Leafz atHub = leafz(hub);
        assertEquals(1, atHub.count(), "the hub's /leafz lists the edge: " + atHub);
        // The edge dials from 127.0.0.1 (loopback's source address); its side of the connection names the hub's listener.
        assertEquals(List.of(new MonitorClient.LeafConnection(hub.host(0), 7422)), leafz(edge).connections());
        LeafObservation e = leafs(edge);
        assertEquals(Reason.AllLeafRemotesConnected, e.reason());
        assertEquals("each of the 1 brokers is connected to the 1 remote; leaf node connections: edge-0 1", e.message());
        LeafObservation h = Await.until("the hub counts its leaf", Duration.ofSeconds(10), () -> leafs(hub), o -> o.message().endsWith("hub-0 1"));
        assertEquals(Reason.LeafNodesAccepting, h.reason());
        assertTrue(h.connected());
    }

    @Test
    void aChoriaRequestCrossesTheLeafConnectionBothWays() throws Exception {
        awaitEdgeConnected();
        assertRequestAnswered(edge, hub, "hub/hub-0");
        assertRequestAnswered(hub, edge, "edge/edge-0");
    }

    @Test
    void leafsWithoutACertificateFromThePuppetCaAreRefusedByTheHub() throws Exception {
        awaitEdgeConnected();
        assertRefused(212, null);
        // Go's TLS client offers a certificate only when the hub's list of acceptable CAs holds its issuer:
        // one from another CA is not even sent, so the hub sees a leaf without one.
        assertRefused(213, TestCa.rsaRoot("Some Other CA").issueClientCertificate("edge-9.example.net"));
    }

    /**
     * The side door of issue 23: a certificate the Puppet CA signed (any node's, a revoked one's) used by a leaf
     * that the hub does not name. The TLS handshake succeeds; the hub maps the certificate to no edge of
     * spec.leafnodes.edges and refuses the leaf, every time it dials, while the named edge stays.
     */
    @Test
    void aPuppetSignedLeafTheHubDoesNotNameIsRefused() throws Exception {
        awaitEdgeConnected();
        int before = authFailures(hub.log(0));
        try (RogueServer rogue = RogueServer.leaf(214, hub.host(0), NODE7)) {
            Await.until("the hub refuses the Puppet-signed rogue twice", Duration.ofSeconds(20), () -> hub.log(0),
                    log -> authFailures(log) >= before + 2);
            Await.until("the rogue told 'Authorization Violation'", Duration.ofSeconds(10), rogue::log,
                    log -> log.contains("Authorization Violation"));
            MonitorClient.Leafz atHub = leafz(hub);
            assertEquals(1, atHub.count(), "the hub still lists only the edge: " + atHub);
            assertTrue(rogue.running(), "the rogue server itself runs; only its leaf connection fails");
        }
        assertRequestAnswered(edge, hub, "hub/hub-0");
    }

    /**
     * The rest of that side door: a certificate that carries the edge's very name but another key (the edge's
     * revoked certificate, or one Puppet signed for that name to someone else). The name check passes; the
     * leafnode port's pinned keys (only the signed, unrevoked certificates carrying a listed edge's name) refuse it.
     */
    @Test
    void aCertificateCarryingTheEdgesNameWithAnUnpinnedKeyIsRefused() throws Exception {
        awaitEdgeConnected();
        int before = notPinned(hub.log(0));
        try (RogueServer rogue = RogueServer.leaf(215, hub.host(0), CA.issueClientCertificate(EDGE_NAME))) {
            Await.until("the hub refuses the rogue's key twice", Duration.ofSeconds(20), () -> hub.log(0), log -> notPinned(log) >= before + 2);
            MonitorClient.Leafz atHub = leafz(hub);
            assertEquals(1, atHub.count(), "the hub still lists only the edge: " + atHub);
            assertTrue(rogue.running(), "the rogue server itself runs; only its leaf connection fails");
        }
        assertRequestAnswered(edge, hub, "hub/hub-0");
    }

    static int notPinned(String log) {
        return log.split("TLS leafnode handshake error: certificate not pinned", -1).length - 1;
    }

    static int authFailures(String log) {
        return log.split("Leafnode connection closed: Authentication Failure", -1).length - 1;
    }

    /** A rogue leaf dials the hub at least twice; each time the hub refuses the handshake and lists only the edge. */
    static void assertRefused(int host, TestCa.Pems cert) throws Exception {
        int before = handshakeErrors(hub.log(0));
        try (RogueServer rogue = RogueServer.leaf(host, hub.host(0), cert)) {
            Await.until("the hub refuses rogue-" + host + " twice", Duration.ofSeconds(20), () -> hub.log(0),
                    log -> handshakeErrors(log) >= before + 2);
            String log = hub.log(0);
            assertTrue(log.contains("TLS leafnode handshake error: tls: client didn't provide a certificate"), log);
            // TLS 1.3: the rogue learns of the refusal only when the hub closes the connection.
            assertTrue(rogue.log().contains("Leafnode connection closed"), "the rogue's leaf connection was closed: " + rogue.log());
            MonitorClient.Leafz atHub = leafz(hub);
            assertEquals(1, atHub.count(), "the hub still lists only the edge: " + atHub);
            assertTrue(rogue.running(), "the rogue server itself runs; only its leaf connection fails");
        }
    }

    @Test
    void aStoppedHubIsNamedAtTheEdgeAndTheLeafReturnsWithoutRestartingTheEdge() {
        awaitEdgeConnected();
        long edgePid = edge.pid(0);
        try {
            hub.stop(0);
            LeafObservation o = Await.until("the edge notices the hub is gone", Duration.ofSeconds(20), () -> leafs(edge),
                    l -> l.reason() == Reason.LeafRemoteMissing);
            assertEquals("remotes[0] (tls://" + HUB_SERVICE + ":7422) missing at edge-0", o.message());
        } finally {
            if (!hub.running(0)) hub.start(0);
        }
        awaitEdgeConnected();
        assertEquals(edgePid, edge.pid(0), "the edge reconnected by itself");
    }

    static int handshakeErrors(String log) {
        return log.split("TLS leafnode handshake error", -1).length - 1;
    }

    /** A client on {@code from} sends a Choria-shaped request; a node on {@code to} answers across the leaf connection. */
    static void assertRequestAnswered(LocalBrokerCluster from, LocalBrokerCluster to, String me) throws Exception {
        try (Connection client = Clients.connect(from.clientUrl(0), from.clientCertificate(), from.caPem());
             Connection node = Clients.connect(to.clientUrl(0), to.clientCertificate(), to.caPem())) {
            Clients.answerAs(node, SUBJECT, me);
            assertEquals(java.util.Set.of(me), Clients.awaitAnswers(client, SUBJECT, java.util.Set.of(me)));
        }
    }
}
