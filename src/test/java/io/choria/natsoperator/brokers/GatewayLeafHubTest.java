package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.mesh.LeafChecker;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A hub that is both a gateway site and a leaf node hub, as real nats-server processes on loopback: the hub (127.0.0.180)
 * accepts the edge's leaf connection and joins a second site (127.0.0.182) by gateway; the edge (127.0.0.181) dials the
 * hub. nats-server (2.9.10 and 2.10.x, leafnode.go validateLeafNode) refuses to start with both a gateway and a leaf node
 * port unless a system account is configured, although {@code nats-server -t} accepts the file. Requests cross from the
 * edge over the hub to the other site and back: the system account moved no client, leaf or gateway out of the global
 * account they share.
 */
@External
class GatewayLeafHubTest {
    static final String SUBJECT = "choria.broadcast.agent.rpcutil";
    static final int HUB_HOST = 180;
    static final int EDGE_HOST = 181;
    static final int FAR_HOST = 182;
    static final TestCa CA = TestCa.ecRoot("Test Puppet CA: hub");
    /** The name the hub admits on its leaf port: a DNS name the edge's broker certificate carries (its client Service). */
    static final String EDGE_NAME = "edge.site-edge.svc";
    /** The edge is LeafNodeSiteTest's: it dials the hub's leaf node Service by this name. */
    static final String HUB_LEAF_SERVICE = LeafNodeSiteTest.HUB_SERVICE;
    static final String HUB_GATEWAY_SERVICE = gatewayService("hub", "site-hub");
    static final String FAR_GATEWAY_SERVICE = gatewayService("broker", "site-far");
    static LocalBrokerCluster hub, edge, far;

    static String gatewayService(String name, String namespace) {
        return new Names(name, namespace, LocalBrokerCluster.CLUSTER_DOMAIN).gatewayServiceFqdnOf(name, namespace);
    }

    static GatewaySpec gatewayTo(String site, String host) {
        GatewaySpec gw = new GatewaySpec();
        GatewayRemote r = new GatewayRemote();
        r.setName(site);
        r.setUrls(List.of("tls://" + host + ":7222"));
        gw.setRemotes(List.of(r));
        return gw;
    }

    static void hub(NatsCluster nc) {
        nc.getMetadata().setName("hub");
        nc.getMetadata().setNamespace("site-hub");
        nc.getSpec().setClusterName("site-hub");
        nc.getSpec().setGateway(gatewayTo("site-far", FAR_GATEWAY_SERVICE));
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setEdges(List.of(EDGE_NAME));
        nc.getSpec().setLeafnodes(leaf);
    }

    static void far(NatsCluster nc) {
        nc.getMetadata().setName("broker");
        nc.getMetadata().setNamespace("site-far");
        nc.getSpec().setClusterName("site-far");
        nc.getSpec().setGateway(gatewayTo("site-hub", HUB_GATEWAY_SERVICE));
    }

    @BeforeAll
    static void start() {
        try {
            far = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(CA).firstHost(FAR_HOST).edit(GatewayLeafHubTest::far)
                    .host(HUB_GATEWAY_SERVICE, LocalBrokerCluster.hosts(HUB_HOST, 1)).start();
            edge = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(CA).firstHost(EDGE_HOST).edit(LeafNodeSiteTest::edge)
                    .host(HUB_LEAF_SERVICE, LocalBrokerCluster.hosts(HUB_HOST, 1)).start();
            hub = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).ca(CA).firstHost(HUB_HOST).edit(GatewayLeafHubTest::hub)
                    .host(FAR_GATEWAY_SERVICE, LocalBrokerCluster.hosts(FAR_HOST, 1)).start();
        } catch (RuntimeException | Error e) {
            stop();
            throw e;
        }
    }

    @AfterAll
    static void stop() {
        for (LocalBrokerCluster c : new LocalBrokerCluster[] {hub, edge, far}) if (c != null) c.close();
    }

    static void awaitJoined() {
        LeafChecker leafs = new LeafChecker(new MonitorClient(), host -> host.equals(HUB_LEAF_SERVICE) ? Set.of(hub.host(0)) : Set.of());
        Await.until("the edge's leaf connection to the hub", Duration.ofSeconds(30), () -> leafs.check(edge.cluster(), edge::monitorUri),
                LeafChecker.LeafObservation::connected);
        Await.until("the hub's gateway to the far site, both ways", Duration.ofSeconds(30), () -> new MonitorClient().gatewayzAsync(hub.monitorUri(0)).join(),
                g -> g.outbound().contains("site-far") && g.inbound().contains("site-far"));
    }

    @Test
    void theHubStartsWithTheSystemAccountAndRequestsCrossFromEdgeToFarSiteAndBack() throws Exception {
        awaitJoined();
        String varz = new String(java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(hub.monitorUri(0).resolve("/varz"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body());
        assertTrue(varz.contains("\"system_account\": \"$SYS\""), varz);
        // edge -> leaf -> hub -> gateway -> far, and back; and the hub's own clients with both.
        assertRequestAnswered(edge, far, "far/broker-0");
        assertRequestAnswered(far, edge, "edge/edge-0");
        assertRequestAnswered(hub, edge, "edge/edge-0");
        assertRequestAnswered(edge, hub, "hub/hub-0");
    }

    static void assertRequestAnswered(LocalBrokerCluster from, LocalBrokerCluster to, String me) throws Exception {
        try (var client = Clients.connect(from.clientUrl(0), from.clientCertificate(), from.caPem());
             var node = Clients.connect(to.clientUrl(0), to.clientCertificate(), to.caPem())) {
            Clients.answerAs(node, SUBJECT, me);
            assertEquals(Set.of(me), Clients.awaitAnswers(client, SUBJECT, Set.of(me)));
        }
    }
}
