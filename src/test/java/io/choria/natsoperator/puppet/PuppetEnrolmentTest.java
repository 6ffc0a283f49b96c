package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.GatewayRemote;
import io.choria.natsoperator.api.GatewaySpec;
import io.choria.natsoperator.api.LeafNodesSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.brokers.LocalBrokerCluster;
import io.choria.natsoperator.brokers.LocalBrokerCluster.Attempt;
import io.choria.natsoperator.brokers.RogueServer;
import io.choria.natsoperator.mesh.MeshChecker;
import io.choria.natsoperator.mesh.MeshObservation;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.model.PortPinnedCerts;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.reconciler.OperatorSettings;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.PuppetServer;
import io.choria.natsoperator.testing.SharedPuppet;
import io.choria.natsoperator.testing.TcpForwarder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Enrolment and revocation against a real Puppet Server 7 (Debian's, from target/, loopback) and
 * the real operator on the mock API server; revocation also against a real nats-server rendered
 * by the operator's model with the operator's certificate and allow-list.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@External
class PuppetEnrolmentTest {
    static PuppetServer puppet;
    static MockCluster api;
    /** The brokers the mesh probe asks, by namespace: only the revocation test runs real ones. */
    static final Map<String, LocalBrokerCluster> brokersByNamespace = new ConcurrentHashMap<>();

    @BeforeAll
    static void start() throws Exception {
        puppet = SharedPuppet.get();
        api = new MockCluster();
        MeshChecker checker = new MeshChecker();
        api.startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofSeconds(60), nc -> {
            LocalBrokerCluster b = brokersByNamespace.get(nc.getMetadata().getNamespace());
            return b == null ? null : checker.check(nc, b::monitorUri);
        }), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (api != null) api.close();
    }

    @Test
    void awaitsSigningThenServesThePuppetSignedCertificateWithoutTheCaKey() throws Exception {
        String ns = "enrol-manual";
        NatsCluster nc = enrolled(ns, puppet.url().toString(), null);
        nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
        nc = api.client.resource(nc).create();

        Condition waiting = Await.until("CertificateReady=False AwaitingSigning", Duration.ofSeconds(60), () -> condition(ns, Conditions.CERTIFICATE_READY),
                c -> c != null && "AwaitingSigning".equals(c.getReason()));
        assertEquals("False", waiting.getStatus());
        Secret request = api.client.secrets().inNamespace(ns).withName("broker-tls-request").get();
        assertNotNull(request, "the key and CSR are kept in the cluster");
        String certname = BrokerSecrets.decode(request, "certname");
        assertTrue(waiting.getMessage().contains("puppetserver ca sign --certname " + certname), waiting.getMessage());
        assertTrue(certname.matches("broker\\." + ns + "\\.nats-[0-9a-f]{8}"), certname);
        assertTrue(puppet.list().contains(certname), "Puppet holds the CSR: " + puppet.list());
        assertNull(api.client.apps().statefulSets().inNamespace(ns).withName("broker").get(), "no brokers before a certificate");
        assertTrue(events(ns).contains("AwaitingSigning"), "an Event says so: " + events(ns));

        puppet.sign(certname);
        Condition ready = Await.until("CertificateReady=True after signing", Duration.ofSeconds(60), () -> condition(ns, Conditions.CERTIFICATE_READY),
                c -> c != null && "True".equals(c.getStatus()));
        // The pass that takes the signed certificate names the certname; a later pass (the new objects' events)
        // says only "serving ... serial": under load the poll may see that one first. The Event keeps it.
        assertTrue(ready.getMessage().contains(certname) || api.client.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> "CertificateSigned".equals(e.getReason()) && e.getMessage().contains(certname)), ready.getMessage());
        Secret tls = api.client.secrets().inNamespace(ns).withName("broker-tls").get();
        Path leaf = Files.writeString(Files.createTempFile("puppet-signed", ".pem"), BrokerSecrets.decode(tls, "tls.crt"));
        Process verify = new ProcessBuilder("openssl", "verify", "-CAfile", puppet.caCertPath().toString(), leaf.toString())
                .redirectErrorStream(true).start();
        String said = new String(verify.getInputStream().readAllBytes());
        assertEquals(0, verify.waitFor(), said);
        assertTrue(said.contains(": OK"), said);
        Await.until("the request Secret is removed once signed", Duration.ofSeconds(30),
                () -> api.client.secrets().inNamespace(ns).withName("broker-tls-request").get() == null, gone -> gone);
        assertNotNull(Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace(ns).withName("broker").get()));
        assertTrue(events(ns).contains("CertificateSigned"), events(ns));
        // Signed is settled: later reconciles keep the certificate and ask Puppet for nothing new.
        String served = BrokerSecrets.decode(api.client.secrets().inNamespace(ns).withName("broker-tls").get(), "tls.crt");
        // A settled cluster is not reconciled again by itself (the Puppet sync runs beside it): two spec edits that
        // change nothing of the certificate make two reconciles.
        NatsCluster created = nc;
        for (int interval : new int[] {6, 7}) {
            int started = api.reconciles.started(created);
            Await.retryingConflicts("edited to " + interval + " s", () -> api.client.resources(NatsCluster.class).inNamespace(ns).withName("broker")
                    .edit(x -> { x.getSpec().getTls().getPuppet().setSyncIntervalSeconds(interval); return x; }));
            Await.until("a reconcile after the edit to " + interval + " s, finished", Duration.ofSeconds(30),
                    () -> api.reconciles.finished(created) > started, done -> done);
        }
        assertNull(api.client.secrets().inNamespace(ns).withName("broker-tls-request").get(), "no new certificate request");
        assertEquals(served, BrokerSecrets.decode(api.client.secrets().inNamespace(ns).withName("broker-tls").get(), "tls.crt"));

        // No CA private key in anything the operator wrote (it never had one).
        String caKeyBody = Files.readString(puppet.caDir().resolve("ca_key.pem")).lines()
                .filter(l -> !l.startsWith("-----")).findFirst().orElseThrow();
        for (Secret s : api.client.secrets().inNamespace(ns).list().getItems()) {
            for (String k : s.getData().keySet()) assertFalse(BrokerSecrets.decode(s, k).contains(caKeyBody), s.getMetadata().getName() + "/" + k);
        }
        for (ConfigMap c : api.client.configMaps().inNamespace(ns).list().getItems()) {
            assertFalse(c.getData().values().stream().anyMatch(v -> v.contains(caKeyBody)), c.getMetadata().getName());
        }
    }

    @Test
    void aRightChallengePasswordIsSignedAtOnceAndAWrongOneIsNot() throws Exception {
        api.client.resource(enrolled("enrol-right", puppet.url().toString(), SharedPuppet.CHALLENGE)).create();
        api.client.resource(enrolled("enrol-wrong", puppet.url().toString(), "not-the-password")).create();
        Condition right = Await.until("signed by policy autosign", Duration.ofSeconds(60), () -> condition("enrol-right", Conditions.CERTIFICATE_READY),
                c -> c != null && "True".equals(c.getStatus()));
        assertEquals("CertificateValid", right.getReason());
        NatsCluster rightNc = api.client.resources(NatsCluster.class).inNamespace("enrol-right").withName("broker").get();
        String served = BrokerSecrets.decode(api.client.secrets().inNamespace("enrol-right").withName("broker-tls").get(), "tls.crt");
        int started = api.reconciles.started(rightNc);
        Await.retryingConflicts("edited", () -> api.client.resources(NatsCluster.class).inNamespace("enrol-right").withName("broker")
                .edit(x -> { x.getSpec().getTls().getPuppet().setSyncIntervalSeconds(6); return x; }));
        Await.until("a reconcile after an edit, finished", Duration.ofSeconds(30),
                () -> api.reconciles.finished(rightNc) > started, done -> done);
        assertEquals(served, BrokerSecrets.decode(api.client.secrets().inNamespace("enrol-right").withName("broker-tls").get(), "tls.crt"),
                "an autosigned certificate is kept, not asked for again on every reconcile");
        Condition wrong = Await.until("left waiting", Duration.ofSeconds(60), () -> condition("enrol-wrong", Conditions.CERTIFICATE_READY),
                c -> c != null && "AwaitingSigning".equals(c.getReason()));
        String certname = BrokerSecrets.decode(api.client.secrets().inNamespace("enrol-wrong").withName("broker-tls-request").get(), "certname");
        assertTrue(puppet.list().contains(certname), "the CSR with the wrong password is requested, not signed");
        assertTrue(wrong.getMessage().contains(certname), wrong.getMessage());
        // The challenge password is read from the user's Secret and never copied into what the operator writes.
        for (Secret s : api.client.secrets().inNamespace("enrol-right").list().getItems()) {
            if (s.getMetadata().getName().equals("autosign")) continue;
            for (String k : s.getData().keySet()) assertFalse(BrokerSecrets.decode(s, k).contains(SharedPuppet.CHALLENGE), s.getMetadata().getName());
        }
    }

    @Test
    void aRevokedNodeIsRefusedAndDroppedAndANewNodeGetsInWithinTheBound() throws Exception {
        String ns = "enrol-revoke";
        NatsCluster nc = enrolled(ns, puppet.url().toString(), SharedPuppet.CHALLENGE);
        nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
        PuppetServer.Credentials node1 = puppet.generate("node1." + ns + ".example.net");
        // a node that stays trusted: each refusal of node1 is judged against it, on the same broker, at the same moment
        PuppetServer.Credentials control = puppet.generate("control." + ns + ".example.net");
        api.client.resource(nc).create();
        String pin1 = TrustBundle.publicKeyPin(Files.readString(node1.cert()));
        String pinControl = TrustBundle.publicKeyPin(Files.readString(control.cert()));
        Await.until("RevocationEnforced with node1 and the control node admitted", Duration.ofSeconds(60), () -> pinnedFile(ns),
                f -> f != null && f.contains(pin1) && f.contains(pinControl));
        Condition enforced = Await.until("RevocationEnforced=True", Duration.ofSeconds(30), () -> condition(ns, Conditions.REVOCATION_ENFORCED),
                c -> c != null && "True".equals(c.getStatus()));
        assertTrue(enforced.getMessage().contains("CRL number"), enforced.getMessage());

        TlsFiles files = served(ns);
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(140).tls(files)
                .pinnedCerts(pinnedFile(ns)).start();
             Kubelet kubelet = new Kubelet(ns, brokers)) {
            brokers.startReloader(0, 1);
            brokersByNamespace.put(ns, brokers);
            markReady(ns);
            String url = brokers.clientUrl(0);
            SSLContext node1Tls = context(node1);
            SSLContext controlTls = context(control);
            Connection open = connect(url, node1Tls);
            assertEquals(Connection.Status.CONNECTED, open.getStatus());
            assertEquals(Attempt.ADMITTED, brokers.attempt(0, controlTls));

            long revokedAt = System.nanoTime();
            puppet.revoke(node1.certname());
            Await.until("node1 refused by the broker while the control node is admitted", Duration.ofSeconds(90),
                    () -> refusedWhileControlAdmitted(brokers, node1Tls, controlTls), r -> r);
            double refusedAfter = (System.nanoTime() - revokedAt) / 1e9;
            Await.until("node1's open connection closed", Duration.ofSeconds(90), open::getStatus, s -> s != Connection.Status.CONNECTED);
            double droppedAfter = (System.nanoTime() - revokedAt) / 1e9;
            assertTrue(brokers.log(0).contains("due to pinned certs reload"), brokers.log(0));

            long generatedAt = System.nanoTime();
            PuppetServer.Credentials node2 = puppet.generate("node2." + ns + ".example.net");
            double generateTook = (System.nanoTime() - generatedAt) / 1e9;
            SSLContext node2Tls = context(node2);
            Await.until("node2 admitted", Duration.ofSeconds(90), () -> brokers.attempt(0, node2Tls), a -> a == Attempt.ADMITTED);
            assertTrue(refusedWhileControlAdmitted(brokers, node1Tls, controlTls), "node1 is still refused");
            double admittedAfter = (System.nanoTime() - generatedAt) / 1e9;
            System.out.printf("[puppet] revocation, sync every 5 s, reloader every 1 s: revoked node refused after %.1f s, its open connection"
                    + " closed after %.1f s; a new node (ca generate took %.1f s) admitted %.1f s after generate started; broker pid unchanged: %s%n",
                    refusedAfter, droppedAfter, generateTook, admittedAfter, brokers.running(0));
            open.close();
        } finally {
            brokersByNamespace.remove(ns);
        }
    }

    /**
     * Revoked means revoked on the leafnode port too: two edges named in spec.leafnodes.edges, each a nats-server
     * dialling the hub with the certificate Puppet generated for it; edge1 is revoked in Puppet. The operator drops
     * its key from the leafnode port's list in the StatefulSet's pod template (a rolling restart); the broker restarted with the
     * new files (the StatefulSet controller's part, played here) refuses edge1's key and admits edge2.
     */
    @Test
    void aRevokedEdgeIsRefusedOnTheLeafPortOnceTheBrokerRestarts() throws Exception {
        String ns = "enrol-leaf";
        String edge1Name = "edge1." + ns + ".example.net", edge2Name = "edge2." + ns + ".example.net";
        NatsCluster nc = enrolled(ns, puppet.url().toString(), SharedPuppet.CHALLENGE);
        nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
        LeafNodesSpec leaf = new LeafNodesSpec();
        leaf.setEdges(List.of(edge1Name, edge2Name));
        nc.getSpec().setLeafnodes(leaf);
        PuppetServer.Credentials edge1 = puppet.generate(edge1Name);
        PuppetServer.Credentials edge2 = puppet.generate(edge2Name);
        api.client.resource(nc).create();
        String pin1 = TrustBundle.publicKeyPin(Files.readString(edge1.cert()));
        String pin2 = TrustBundle.publicKeyPin(Files.readString(edge2.cert()));
        String listed = Await.until("the leafnode port's list holds both edges", Duration.ofSeconds(60),
                () -> brokerEnv(ns, NatsConfig.LEAFNODE_PINNED_CERTS_ENV), f -> f != null && f.contains(pin1) && f.contains(pin2));

        try (LocalBrokerCluster hub = hub(ns, 142, c -> c.getSpec().setLeafnodes(leaf), new PortPinnedCerts(listed, null));
             RogueServer e1 = RogueServer.leaf(143, hub.host(0), pems(edge1));
             RogueServer e2 = RogueServer.leaf(144, hub.host(0), pems(edge2))) {
            brokersByNamespace.put(ns, hub);
            markReady(ns);
            Await.until("both edges connected to the hub", Duration.ofSeconds(30), () -> leafCount(hub), n -> n == 2);

            long revokedAt = System.nanoTime();
            puppet.revoke(edge1.certname());
            String dropped = Await.until("edge1's key dropped from the leafnode port's list", Duration.ofSeconds(90),
                    () -> brokerEnv(ns, NatsConfig.LEAFNODE_PINNED_CERTS_ENV), f -> f != null && !f.contains(pin1));
            assertTrue(dropped.contains(pin2), "edge2 stays listed: " + dropped);
            double listedAfter = (System.nanoTime() - revokedAt) / 1e9;
            // Before the restart the broker still admits edge1: nats-server reads this list only at start.
            assertEquals(2, leafCount(hub), "the running broker still holds both leaf connections");
            // The kubelet updates the mounted files; the reloader's SIGHUP meanwhile must not be refused (the list is in the
            // environment, not a file), or the client port's list would be held back until the restart.
            hub.updatePortPinnedCerts(new PortPinnedCerts(dropped, null));
            hub.reload(0);
            Await.until("the old broker reloaded its files", Duration.ofSeconds(10), () -> hub.log(0), log -> log.contains("Reloaded server configuration"));
            assertFalse(hub.log(0).contains("Failed to reload"), hub.log(0));
            long restartAt = System.nanoTime();
            hub.stop(0);
            hub.start(0);
            Await.until("the restarted hub refuses edge1's key twice and holds edge2", Duration.ofSeconds(30), () -> hub.log(0),
                    log -> log.split("TLS leafnode handshake error: certificate not pinned", -1).length - 1 >= 2 && leafCount(hub) == 1);
            double refusedAfter = (System.nanoTime() - revokedAt) / 1e9;
            double restartTook = (System.nanoTime() - restartAt) / 1e9;
            assertTrue(e1.log().contains("Leafnode connection closed"), e1.log());
            assertTrue(e1.running() && e2.running());
            System.out.printf("[puppet] leafnode port, sync every 5 s: revoked edge's key out of the pod template's list after %.1f s;"
                    + " refused %.1f s after revoke (the restart of 1 broker and two refusals took %.1f s); the other edge stays%n",
                    listedAfter, refusedAfter, restartTook);
        } finally {
            brokersByNamespace.remove(ns);
        }
    }

    /**
     * The same on the gateway port: two sites listed by URL, each a nats-server that calls itself that site and
     * dials the hub with the certificate Puppet generated for the URL's host; site-b is revoked in Puppet.
     */
    @Test
    void aRevokedSiteIsRefusedOnTheGatewayPortOnceTheBrokerRestarts() throws Exception {
        String ns = "enrol-gw";
        String siteB = "siteb." + ns + ".example.net", siteC = "sitec." + ns + ".example.net";
        NatsCluster nc = enrolled(ns, puppet.url().toString(), SharedPuppet.CHALLENGE);
        nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
        GatewaySpec gw = new GatewaySpec();
        gw.setRemotes(List.of(site("site-b", siteB), site("site-c", siteC)));
        nc.getSpec().setGateway(gw);
        PuppetServer.Credentials b = puppet.generate(siteB);
        PuppetServer.Credentials c = puppet.generate(siteC);
        api.client.resource(nc).create();
        String pinB = TrustBundle.publicKeyPin(Files.readString(b.cert()));
        String pinC = TrustBundle.publicKeyPin(Files.readString(c.cert()));
        String listed = Await.until("the gateway port's list holds both sites", Duration.ofSeconds(60),
                () -> brokerEnv(ns, NatsConfig.GATEWAY_PINNED_CERTS_ENV), f -> f != null && f.contains(pinB) && f.contains(pinC));

        try (LocalBrokerCluster hub = hub(ns, 146, x -> x.getSpec().setGateway(gw), new PortPinnedCerts(null, listed));
             RogueServer rb = RogueServer.gateway(147, "site-b", "broker", hub.host(0), pems(b));
             RogueServer rc = RogueServer.gateway(148, "site-c", "broker", hub.host(0), pems(c))) {
            brokersByNamespace.put(ns, hub);
            markReady(ns);
            Await.until("both sites' gateways registered at the hub", Duration.ofSeconds(30), () -> inbound(hub),
                    in -> in.equals(Set.of("site-b", "site-c")));

            long revokedAt = System.nanoTime();
            puppet.revoke(b.certname());
            String dropped = Await.until("site-b's key dropped from the gateway port's list", Duration.ofSeconds(90),
                    () -> brokerEnv(ns, NatsConfig.GATEWAY_PINNED_CERTS_ENV), f -> f != null && !f.contains(pinB));
            assertTrue(dropped.contains(pinC), "site-c stays listed: " + dropped);
            double listedAfter = (System.nanoTime() - revokedAt) / 1e9;
            assertEquals(Set.of("site-b", "site-c"), inbound(hub), "the running broker still holds both: it reads the list only at start");
            long restartAt = System.nanoTime();
            hub.updatePortPinnedCerts(new PortPinnedCerts(null, dropped));
            hub.stop(0);
            hub.start(0);
            Await.until("the restarted hub refuses site-b's key twice and holds site-c", Duration.ofSeconds(30), () -> hub.log(0),
                    log -> log.split("TLS gateway handshake error: certificate not pinned", -1).length - 1 >= 2 && inbound(hub).equals(Set.of("site-c")));
            double refusedAfter = (System.nanoTime() - revokedAt) / 1e9;
            double restartTook = (System.nanoTime() - restartAt) / 1e9;
            assertTrue(rb.running() && rc.running());
            System.out.printf("[puppet] gateway port, sync every 5 s: revoked site's key out of the pod template's list after %.1f s;"
                    + " refused %.1f s after revoke (the restart of 1 broker and two refusals took %.1f s); the other site stays%n",
                    listedAfter, refusedAfter, restartTook);
        } finally {
            brokersByNamespace.remove(ns);
        }
    }

    /** The operator's broker for {@code ns} on 127.0.0.{host}: its certificate, its spec as {@code edit} makes it, its lists. */
    static LocalBrokerCluster hub(String ns, int host, java.util.function.Consumer<NatsCluster> edit, PortPinnedCerts ports) {
        return LocalBrokerCluster.of(Examples.load(Examples.ONE_BROKER)).firstHost(host).tls(served(ns))
                .edit(c -> {
                    c.getMetadata().setNamespace(ns);
                    c.getMetadata().setName("broker");
                    edit.accept(c);
                })
                .pinnedCerts(pinnedFile(ns)).portPinnedCerts(ports).start();
    }

    /** The certificate, key and bundle the operator keeps in the cluster's TLS Secret. */
    static TlsFiles served(String ns) {
        Secret tls = api.client.secrets().inNamespace(ns).withName("broker-tls").get();
        return new TlsFiles(BrokerSecrets.decode(tls, "tls.crt"), BrokerSecrets.decode(tls, "tls.key"), BrokerSecrets.decode(tls, "ca.crt"));
    }

    static GatewayRemote site(String name, String host) {
        GatewayRemote r = new GatewayRemote();
        r.setName(name);
        r.setUrls(List.of("nats://" + host + ":7222"));
        return r;
    }

    static Set<String> inbound(LocalBrokerCluster hub) {
        return new io.choria.natsoperator.mesh.MonitorClient().gatewayzAsync(hub.monitorUri(0)).join().inbound();
    }

    static int leafCount(LocalBrokerCluster hub) {
        return new io.choria.natsoperator.mesh.MonitorClient().leafzAsync(hub.monitorUri(0)).join().count();
    }

    static TestCa.Pems pems(PuppetServer.Credentials c) throws java.io.IOException {
        return new TestCa.Pems(Files.readString(c.cert()), Files.readString(c.key()));
    }

    /** A literal env var of the StatefulSet's broker container. */
    static String brokerEnv(String ns, String name) {
        StatefulSet sts = api.client.apps().statefulSets().inNamespace(ns).withName("broker").get();
        if (sts == null) return null;
        return sts.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream().filter(e -> name.equals(e.getName()))
                .map(io.fabric8.kubernetes.api.model.EnvVar::getValue).findFirst().orElse(null);
    }

    @Test
    void puppetDownKeepsTheLastListSaysSoAndRecovers() throws Exception {
        String ns = "enrol-down";
        try (TcpForwarder forwarder = new TcpForwarder(puppet.port())) {
            NatsCluster nc = enrolled(ns, "https://127.0.0.1:" + forwarder.port(), SharedPuppet.CHALLENGE);
            nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
            api.client.resource(nc).create();
            Await.until("RevocationEnforced", Duration.ofSeconds(60), () -> condition(ns, Conditions.REVOCATION_ENFORCED),
                    c -> c != null && "True".equals(c.getStatus()));
            String before = pinnedFile(ns);

            forwarder.down();
            Condition stale = Await.until("RevocationEnforced=False while Puppet is away", Duration.ofSeconds(60),
                    () -> condition(ns, Conditions.REVOCATION_ENFORCED), c -> "False".equals(c.getStatus()));
            assertEquals("RevocationStale", stale.getReason());
            assertTrue(stale.getMessage().contains("stays in force"), stale.getMessage());
            assertEquals(before, pinnedFile(ns), "the last good list is kept");
            assertNotNull(api.client.secrets().inNamespace(ns).withName("broker-tls").get(), "nothing is deleted");
            assertTrue(events(ns).contains("RevocationStale"), events(ns));

            forwarder.up();
            Await.until("recovers by itself", Duration.ofSeconds(60), () -> condition(ns, Conditions.REVOCATION_ENFORCED),
                    c -> "True".equals(c.getStatus()));
        }
    }

    @Test
    void aBrokerCertnameCleanedInPuppetIsEnrolledAgain() throws Exception {
        String ns = "enrol-clean";
        NatsCluster nc = enrolled(ns, puppet.url().toString(), SharedPuppet.CHALLENGE);
        nc.getSpec().getTls().getPuppet().setSyncIntervalSeconds(5);
        api.client.resource(nc).create();
        Await.until("enrolled", Duration.ofSeconds(60), () -> condition(ns, Conditions.CERTIFICATE_READY), c -> c != null && "True".equals(c.getStatus()));
        String first = BrokerSecrets.decode(api.client.secrets().inNamespace(ns).withName("broker-tls").get(), "tls.crt");
        String certname = BrokerEnrolment.commonName(first).orElseThrow();

        puppet.clean(certname); // an admin tidying Puppet: the brokers' certificate is revoked
        String second = Await.until("a new certificate under a new certname", Duration.ofSeconds(90),
                () -> BrokerSecrets.decode(api.client.secrets().inNamespace(ns).withName("broker-tls").get(), "tls.crt"), c -> !c.equals(first));
        assertFalse(BrokerEnrolment.commonName(second).orElseThrow().equals(certname));
        assertTrue(api.client.v1().events().inNamespace(ns).list().getItems().stream()
                .anyMatch(e -> "CertificateSigned".equals(e.getReason()) && e.getMessage().contains("was revoked in Puppet")), events(ns));
    }

    @Test
    void caKeyModeWithTheCaPuppetMadeIssuesAChainThatVerifies() throws Exception {
        // Puppet 7's own CA: an intermediate (its key, PKCS#1) under a root, both in ca_crt.pem.
        NatsCluster nc = io.choria.natsoperator.model.SpecDefaults.withDefaults(Examples.load(Examples.THREE_BROKERS));
        Secret ca = new SecretBuilder().withNewMetadata().withName("puppet-ca").withNamespace("choria").endMetadata()
                .addToStringData("ca.crt", puppet.caCertPem())
                .addToStringData("ca.key", Files.readString(puppet.caDir().resolve("ca_key.pem"))).build();
        var plan = io.choria.natsoperator.inputs.BrokerCertificates.plan(nc, ca, null, "cluster.local", java.time.Instant.now());
        Path chain = Files.writeString(Files.createTempFile("ca-key-mode", ".pem"), plan.files().certificateChainPem());
        Process verify = new ProcessBuilder("openssl", "verify", "-CAfile", puppet.caCertPath().toString(), chain.toString())
                .redirectErrorStream(true).start();
        String said = new String(verify.getInputStream().readAllBytes());
        assertEquals(0, verify.waitFor(), said);
        assertTrue(said.contains(": OK"), said);
    }

    // ---- helpers ----

    private static NatsCluster enrolled(String ns, String url, String challenge) {
        NatsCluster nc = Examples.toApply(Examples.ONE_BROKER, ns, "broker");
        TlsSpec tls = new TlsSpec();
        tls.setKeyAlgorithm(TlsSpec.KeyAlgorithm.EC_P256);
        PuppetEnrolmentSpec p = new PuppetEnrolmentSpec();
        p.setUrl(url);
        p.setCaBundleSecretRef(new SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        api.client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("puppet-ca-bundle").withNamespace(ns)
                .endMetadata().addToStringData("ca.crt", puppet.caCertPem()).build()).create();
        if (challenge != null) {
            p.setChallengePasswordSecretRef(new SecretKeyReference("autosign", "password"));
            api.client.secrets().inNamespace(ns).resource(new SecretBuilder().withNewMetadata().withName("autosign").withNamespace(ns)
                    .endMetadata().addToStringData("password", challenge).build()).create();
        }
        tls.setPuppet(p);
        nc.getSpec().setTls(tls);
        return nc;
    }

    static Condition condition(String ns, String type) {
        NatsCluster nc = api.client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
        if (nc == null || nc.getStatus() == null) return null;
        return Conditions.find(nc.getStatus().getConditions(), type).orElse(null);
    }

    static String pinnedFile(String ns) {
        return io.choria.natsoperator.testing.WrittenPinnedList.file(api.client, ns, "broker");
    }

    static String events(String ns) {
        return api.client.v1().events().inNamespace(ns).list().getItems().stream().map(e -> e.getReason()).toList().toString();
    }

    /** The StatefulSet controller's part: the broker is up, so the operator's mesh check asks it. */
    static void markReady(String ns) {
        StatefulSet sts = Await.present("StatefulSet", () -> api.client.apps().statefulSets().inNamespace(ns).withName("broker").get());
        sts.setStatus(new StatefulSetStatusBuilder().withReplicas(1).withReadyReplicas(1).withUpdatedReplicas(1)
                .withObservedGeneration(sts.getMetadata().getGeneration()).withCurrentRevision("r1").withUpdateRevision("r1").build());
        api.client.resource(sts).updateStatus();
    }

    static SSLContext context(PuppetServer.Credentials node) throws Exception {
        return PemSslContexts.clientContext(Files.readString(node.cert()), Files.readString(node.key()), puppet.caCertPem());
    }

    static Connection connect(String url, SSLContext ctx) throws Exception {
        return Nats.connect(new Options.Builder().server(url).sslContext(ctx).connectionTimeout(Duration.ofSeconds(3))
                .noReconnect().errorListener(new io.nats.client.ErrorListener() {}).build());
    }

    /** The broker refuses {@code refused}'s certificate as not pinned and, right after, admits {@code control}'s: a refusal, not an outage. */
    static boolean refusedWhileControlAdmitted(LocalBrokerCluster brokers, SSLContext refused, SSLContext control) {
        Attempt a = brokers.attempt(0, refused);
        if (a == Attempt.ADMITTED) return false;
        Attempt c = brokers.attempt(0, control);
        if (c != Attempt.ADMITTED) throw new IllegalStateException("the broker admits no one: the control node's attempt " + c);
        if (a != Attempt.NOT_PINNED) throw new IllegalStateException("not refused as unpinned by the broker but " + a);
        return true;
    }

    /** The kubelet's part: the config ConfigMap's pinned_certs file reaches the broker's mounted files when it changes. */
    static final class Kubelet implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        Kubelet(String ns, LocalBrokerCluster brokers) {
            thread = new Thread(() -> {
                String last = null;
                while (running) {
                    String now = pinnedFile(ns);
                    if (now != null && !now.equals(last)) {
                        brokers.updatePinnedCerts(now);
                        last = now;
                    }
                    Await.sleep(500);
                }
            }, "kubelet-" + ns);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
