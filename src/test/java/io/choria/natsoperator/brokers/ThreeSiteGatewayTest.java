package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterReference;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.mesh.GatewayChecker;
import io.choria.natsoperator.mesh.GatewayChecker.GatewayObservation;
import io.choria.natsoperator.mesh.MonitorClient;
import io.choria.natsoperator.mesh.Monitors;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.puppet.CertificateNames;
import io.choria.natsoperator.puppet.PortPins;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three sites, each the 3-broker example rendered by the model with a gateway to the other two
 * (by natsClusterRef), as nine real nats-server processes on loopback: site a on 127.0.0.2-4,
 * b on .12-14, c on .22-24, all with the same ports. Every site is a NatsCluster named
 * {@code broker} in its own namespace, told apart by {@code spec.clusterName} and
 * {@code spec.serverNamePrefix}: the collision the issue names. Each site's private hosts file
 * resolves the other sites' gateway Services ({@code broker-gateway.site-x.svc.cluster.local}) to
 * their brokers, as cluster DNS would; the certificates come from one CA (the Puppet CA), and
 * the gateways verify them both ways.
 */
@External
public class ThreeSiteGatewayTest {
    static final String SUBJECT = "choria.broadcast.agent.rpcutil";
    public static final List<String> SITES = List.of("site-a", "site-b", "site-c");
    static final int[] FIRST_HOST = {2, 12, 22};
    static final LocalBrokerCluster[] site = new LocalBrokerCluster[3];

    /** The Puppet CA of all three sites, which has signed every node of the fleet too. */
    static final TestCa CA = TestCa.rsaRoot("Test Puppet CA");

    /** A node Puppet signed, which is no site. */
    static final TestCa.Pems NODE7 = CA.issueClientCertificate("node7.example.net");

    static java.security.cert.X509Certificate certificate(String pem) {
        try {
            return (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(new java.io.ByteArrayInputStream(pem.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        } catch (java.security.cert.CertificateException e) {
            throw new IllegalStateException(e);
        }
    }

    static String pin(String pem) {
        return io.choria.natsoperator.pki.TrustBundle.publicKeyPin(certificate(pem));
    }

    @BeforeAll
    static void start() {
        TestCa ca = CA;
        try {
            for (int s = 0; s < 3; s++) {
                int me = s;
                LocalBrokerCluster.Builder b = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).ca(ca).firstHost(FIRST_HOST[s])
                        .edit(nc -> configure(nc, me));
                for (int o = 0; o < 3; o++) {
                    if (o == s) continue;
                    b.host(gatewayService(o), LocalBrokerCluster.hosts(FIRST_HOST[o], 3));
                    b.referenced(site(o));
                }
                site[s] = b.render();
            }
            // Each site pins the keys of the other two, cut by the operator's own code from an inventory holding the three
            // sites' certificates (as with Puppet revocation enforced), plus node7's: its refusal below is the URL check's.
            Map<String, Set<String>> inventory = new java.util.HashMap<>();
            for (LocalBrokerCluster c : site) inventory.put(pin(c.certificatePem()), CertificateNames.of(certificate(c.certificatePem())));
            inventory.put(pin(NODE7.certPem()), CertificateNames.of(certificate(NODE7.certPem())));
            for (int s = 0; s < 3; s++) {
                var cut = PortPins.of(SpecDefaults.withDefaults(site[s].cluster()).getSpec(), site[s].names(), inventory);
                Set<String> others = new TreeSet<>();
                for (int o = 0; o < 3; o++) if (o != s) others.add(pin(site[o].certificatePem()));
                assertEquals(others, cut.gateway(), SITES.get(s) + " pins the two other sites' keys, no other");
                var pinned = new TreeSet<>(cut.gateway());
                pinned.add(pin(NODE7.certPem()));
                site[s].updatePortPinnedCerts(new PortPins(null, pinned).render(SITES.get(s), "broker"));
            }
            for (LocalBrokerCluster c : site) c.startAll();
        } catch (RuntimeException | Error e) {
            stop();
            throw e;
        }
    }

    /** Site s's NatsCluster, as another site's gateway remote names it. */
    public static NatsCluster site(int s) {
        NatsCluster nc = Examples.load(Examples.THREE_BROKERS);
        configure(nc, s);
        return nc;
    }

    /** Site s: namespace and cluster name site-x, server names x-broker-i, a gateway to the two others by reference (also SitesBench's). */
    public static void configure(NatsCluster nc, int s) {
        nc.getMetadata().setNamespace(SITES.get(s));
        nc.getSpec().setClusterName(SITES.get(s));
        nc.getSpec().setServerNamePrefix(SITES.get(s).substring(5) + "-");
        GatewaySpec gw = new GatewaySpec();
        List<GatewayRemote> remotes = new ArrayList<>();
        for (int o = 0; o < 3; o++) {
            if (o == s) continue;
            GatewayRemote r = new GatewayRemote();
            r.setName(SITES.get(o));
            NatsClusterReference ref = new NatsClusterReference();
            ref.setName("broker");
            ref.setNamespace(SITES.get(o));
            r.setNatsClusterRef(ref);
            remotes.add(r);
        }
        gw.setRemotes(remotes);
        nc.getSpec().setGateway(gw);
    }

    static String gatewayService(int s) {
        return new Names("broker", SITES.get(s), LocalBrokerCluster.CLUSTER_DOMAIN).gatewayServiceFqdnOf("broker", SITES.get(s));
    }

    @AfterAll
    static void stop() {
        for (LocalBrokerCluster c : site) if (c != null) c.close();
    }

    static GatewayObservation gateways(int s) {
        return new GatewayChecker().check(site[s].cluster(), site[s]::monitorUri);
    }

    static void awaitAllConnected(int... sites) {
        for (int s : sites) {
            Await.until(SITES.get(s) + " gateways to the two other sites", Duration.ofSeconds(30), () -> gateways(s), GatewayObservation::connected);
        }
    }

    @Test
    void everyBrokerSeesTheTwoOtherSitesAndTheConditionIsTrue() throws Exception {
        awaitAllConnected(0, 1, 2);
        for (int s = 0; s < 3; s++) {
            Set<String> others = new TreeSet<>(SITES);
            others.remove(SITES.get(s));
            Set<String> inbound = new TreeSet<>();
            for (int i = 0; i < 3; i++) {
                MonitorClient.Gatewayz g = new MonitorClient().gatewayzAsync(site[s].monitorUri(i)).join();
                assertEquals(SITES.get(s), g.name(), "the gateway is named by spec.clusterName");
                assertEquals(others, g.outbound(), SITES.get(s) + " broker-" + i + " outbound");
                // Each remote broker dials one broker of this site, chosen at random: inbound is per site, not per broker.
                inbound.addAll(g.inbound());
                MonitorClient.Varz v = Monitors.varz(site[s].monitorUri(i));
                assertEquals(SITES.get(s).substring(5) + "-broker-" + i, v.serverName(), "server_name = serverNamePrefix + pod name");
            }
            assertEquals(others, inbound, SITES.get(s) + " inbound");
            GatewayObservation o = gateways(s);
            assertEquals(Reason.AllGatewaysConnected, o.reason());
            assertEquals("each of the 3 brokers has a gateway to " + String.join(", ", others), o.message());
        }
    }

    /**
     * The side door of issue 23: a server with a certificate the Puppet CA signed (a node's, a revoked one's) calls
     * itself site-b and dials site-a's gateway port. reject_unknown_cluster checks only that claimed name; the
     * certificate carries no host of site-a's gateway URLs, so site-a refuses it, each time it dials.
     */
    @Test
    void aPuppetSignedServerClaimingAListedSiteIsRefused() throws Exception {
        awaitAllConnected(0);
        int before = gatewayAuthFailures(site[0].log(0));
        try (RogueServer rogue = RogueServer.gateway(8, SITES.get(1), SITES.get(0), site[0].host(0), NODE7)) {
            Await.until("site-a refuses the rogue site-b twice", Duration.ofSeconds(30), () -> site[0].log(0),
                    log -> gatewayAuthFailures(log) >= before + 2);
            Await.until("the rogue told 'Authorization Violation'", Duration.ofSeconds(10), rogue::log,
                    log -> log.contains("Authorization Violation"));
            assertTrue(rogue.running(), "the rogue server runs; only its gateway connection fails");
        }
        assertRequestAnswered(0, List.of(1, 2));
    }

    /**
     * The rest of that side door: a certificate that carries site-b's very gateway host but another key (site-b's
     * revoked certificate, or one Puppet signed for that name to someone else). The URL check passes; site-a's
     * gateway pinned keys (the signed, unrevoked certificates carrying a listed site's host) refuse it.
     */
    @Test
    void aCertificateCarryingAListedSitesHostWithAnUnpinnedKeyIsRefused() throws Exception {
        awaitAllConnected(0);
        int before = gatewayNotPinned(site[0].log(0));
        try (RogueServer rogue = RogueServer.gateway(9, SITES.get(1), SITES.get(0), site[0].host(0), CA.issueClientCertificate(gatewayService(1)))) {
            Await.until("site-a refuses the rogue's key twice", Duration.ofSeconds(30), () -> site[0].log(0),
                    log -> gatewayNotPinned(log) >= before + 2);
            assertTrue(rogue.running(), "the rogue server runs; only its gateway connection fails");
        }
        assertRequestAnswered(0, List.of(1, 2));
    }

    static int gatewayNotPinned(String log) {
        return log.split("TLS gateway handshake error: certificate not pinned", -1).length - 1;
    }

    static int gatewayAuthFailures(String log) {
        return log.split("Gateway connection closed: Authentication Failure", -1).length - 1;
    }

    @Test
    void choriaRequestFromSiteAReachesSitesBAndCAndTheRepliesComeBack() throws Exception {
        awaitAllConnected(0, 1, 2);
        assertRequestAnswered(0, List.of(1, 2));
    }

    @Test
    void aStoppedSiteIsNamedTheOthersKeepServingAndItReturnsWithoutRestarts() throws Exception {
        awaitAllConnected(0, 1, 2);
        long[] pidsA = {site[0].pid(0), site[0].pid(1), site[0].pid(2)};
        long[] pidsB = {site[1].pid(0), site[1].pid(1), site[1].pid(2)};
        try {
            for (int i = 0; i < 3; i++) site[2].stop(i);
            for (int s : new int[] {0, 1}) {
                GatewayObservation o = Await.until(SITES.get(s) + " notices site-c is gone", Duration.ofSeconds(20), () -> gateways(s),
                        g -> !g.connected() && g.reason() == Reason.GatewayMissing);
                assertEquals("site-c missing at broker-0, broker-1, broker-2", o.message());
            }
            assertRequestAnswered(0, List.of(1));
            assertRequestAnswered(1, List.of(0));
        } finally {
            for (int i = 0; i < 3; i++) if (!site[2].running(i)) site[2].start(i);
        }
        awaitAllConnected(0, 1, 2);
        assertRequestAnswered(0, List.of(1, 2));
        for (int i = 0; i < 3; i++) {
            assertEquals(pidsA[i], site[0].pid(i), "site-a broker-" + i + " was not restarted");
            assertEquals(pidsB[i], site[1].pid(i), "site-b broker-" + i + " was not restarted");
        }
    }

    /**
     * A Choria-shaped request: the client at site {@code from} (broker 0) publishes on
     * choria.broadcast.agent.rpcutil with a reply subject; a node at each other site (on broker i
     * of that site, a different broker each) answers to it. Interest crosses gateways
     * asynchronously, so the request is repeated (bounded) until every site has answered.
     */
    static void assertRequestAnswered(int from, List<Integer> to) throws Exception {
        LocalBrokerCluster a = site[from];
        List<Connection> nodes = new ArrayList<>();
        try (Connection client = Clients.connect(a.clientUrl(0), a.clientCertificate(), a.caPem())) {
            Set<String> expected = new TreeSet<>();
            for (int s : to) {
                int broker = (s + 1) % 3;
                Connection node = Clients.connect(site[s].clientUrl(broker), site[s].clientCertificate(), site[s].caPem());
                nodes.add(node);
                String me = SITES.get(s) + "/broker-" + broker;
                Clients.answerAs(node, SUBJECT, me);
                expected.add(me);
            }
            assertEquals(expected, Clients.awaitAnswers(client, SUBJECT, expected));
            assertTrue(client.getConnectedUrl().contains(a.host(0)));
        } finally {
            for (Connection n : nodes) n.close();
        }
        assertFalse(to.contains(from));
    }
}
