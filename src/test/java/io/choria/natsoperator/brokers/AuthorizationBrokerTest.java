package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.AuthorizationSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.ChoriaPermissions;
import io.choria.natsoperator.model.PinnedList;
import io.choria.natsoperator.model.PinnedListAssembler;
import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.puppet.CertificateNames;
import io.choria.natsoperator.puppet.InventorySync;
import io.choria.natsoperator.puppet.NodeIdentities;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * spec.authorization on real nats-server 2.9.10, with the users the operator cuts from a Puppet inventory (NodeIdentities),
 * carried in the pinned list's parts and written by the rendered assembler, as in a pod: a node is held to its own subjects,
 * a client gets its replies and only those, a privileged client reads every reply; a certificate carrying another node's
 * name is refused; a certificate signed after the sync is refused until the next one; a revoked node's open connection is
 * closed by one reload. Then Choria-shaped traffic through a 3-broker cluster and across a gateway. Addresses 127.0.0.210,
 * 127.0.0.220-222, 127.0.0.230 and 127.0.0.240.
 */
@Timeout(240)
@External
class AuthorizationBrokerTest {
    static final String COLLECTIVE = "mcollective";

    /** A Puppet CA's signed certificates, as a sync sees them. */
    static final class Estate {
        final TestCa ca = TestCa.ecRoot("Authorization CA");
        final Map<String, TestCa.Pems> certs = new LinkedHashMap<>();

        TestCa.Pems sign(String certname) {
            return sign(certname, List.of(certname));
        }

        TestCa.Pems sign(String certname, List<String> dnsNames) {
            TestCa.Pems p = ca.issueClientCertificate(certname, dnsNames);
            certs.put(certname, p);
            return p;
        }

        /** The sync's result over these certnames (signed, not revoked), as InventorySync builds it from the certificates. */
        InventorySync.Result synced(Set<String> certnames) throws Exception {
            Map<String, Set<String>> names = new HashMap<>(), byKey = new HashMap<>();
            Map<String, List<String>> mapped = new HashMap<>();
            for (String certname : certnames) {
                X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                        .generateCertificate(new ByteArrayInputStream(certs.get(certname).certPem().getBytes(StandardCharsets.US_ASCII)));
                String key = TrustBundle.publicKeyPin(cert);
                names.put(key, CertificateNames.of(cert));
                byKey.put(key, Set.of(certname));
                mapped.put(key, CertificateNames.mapped(cert));
            }
            return new InventorySync.Result(Set.copyOf(names.keySet()), certnames.size(), 0, "1", 0, Duration.ZERO, Set.of(), names, byKey, mapped);
        }
    }

    /** A connection that records the broker's asynchronous errors (permission violations arrive as -ERR). */
    record Client(Connection connection, List<String> errors) implements AutoCloseable {
        static Client connect(String url, TestCa.Pems cert, String caPem) throws Exception {
            List<String> errors = Collections.synchronizedList(new ArrayList<>());
            Options o = new Options.Builder().server(url).sslContext(cert.clientContext(caPem)).connectionTimeout(Duration.ofSeconds(3))
                    .noReconnect().maxReconnects(0)
                    .errorListener(new io.nats.client.ErrorListener() {
                        @Override
                        public void errorOccurred(Connection conn, String error) {
                            errors.add(error);
                        }
                    }).build();
            return new Client(Nats.connect(o), errors);
        }

        Subscription subscribe(String subject) throws Exception {
            Subscription s = connection.subscribe(subject);
            connection.flush(Duration.ofSeconds(2));
            return s;
        }

        void publish(String subject, String replyTo, String body) throws Exception {
            connection.publish(subject, replyTo, body.getBytes(StandardCharsets.UTF_8));
            connection.flush(Duration.ofSeconds(2));
        }

        /** Waits for the broker's word on {@code subject}: a permissions violation naming it. */
        void awaitViolation(String what, String subject) {
            Await.until(what, Duration.ofSeconds(5), () -> List.copyOf(errors),
                    e -> e.stream().anyMatch(x -> x.contains("Permissions Violation") && x.contains(subject)));
        }

        boolean violated(String subject) {
            synchronized (errors) {
                return errors.stream().anyMatch(x -> x.contains(subject));
            }
        }

        @Override
        public void close() throws InterruptedException {
            connection.close();
        }
    }

    static NatsCluster withAuthorization(java.nio.file.Path example) {
        NatsCluster nc = Examples.load(example);
        AuthorizationSpec a = new AuthorizationSpec();
        // The spec's own subjects: clients here may watch lifecycle events (Choria's EventsViewer).
        a.getClients().getSubscribe().add("choria.lifecycle.>");
        nc.getSpec().setAuthorization(a);
        return nc;
    }

    /** Writes broker i's parts for {@code list} and assembles them with the rendered init container's script. */
    static void assemble(LocalBrokerCluster brokers, int i, PinnedList list) {
        brokers.writePinnedParts(i, brokers.pinnedPartFiles(i, list));
        var run = brokers.runInitContainer(i, PinnedListAssembler.INIT_CONTAINER, Duration.ofSeconds(60));
        assertEquals(0, run.getKey(), run.getValue());
    }

    static String replySubject(String certname) {
        return COLLECTIVE + ".reply." + Digests.md5Hex(ChoriaPermissions.callerId(certname));
    }

    @Test
    void eachIdentityIsHeldToItsOwnSubjectsAndTheInventoryDecidesWhoIsIn() throws Exception {
        Estate estate = new Estate();
        TestCa.Pems node1 = estate.sign("node1.example.net");
        TestCa.Pems node2 = estate.sign("node2.example.net");
        TestCa.Pems alice = estate.sign("alice.mcollective");
        TestCa.Pems root = estate.sign("root.privileged.mcollective");
        // Signed with node2's name first among its alternative names: nats-server would map it to node2's user.
        TestCa.Pems rogue = estate.sign("rogue.example.net", List.of("node2.example.net", "rogue.example.net"));
        TestCa.Pems late = estate.sign("late.example.net");
        NatsCluster nc = withAuthorization(Examples.ONE_BROKER);
        AuthorizationSpec authz = nc.getSpec().getAuthorization();

        Set<String> firstSync = Set.of("node1.example.net", "node2.example.net", "alice.mcollective", "root.privileged.mcollective", "rogue.example.net");
        InventorySync.Result first = estate.synced(firstSync);
        NodeIdentities ids = NodeIdentities.of(first, new HashSet<>(first.admitted()), authz, null);
        assertEquals(List.of("rogue.example.net"), List.copyOf(ids.refused().keySet()), ids.summary());
        assertTrue(ids.refused().get("rogue.example.net").contains("node2.example.net"), ids.summary());
        assertEquals(List.of(2, 1, 1), List.of(ids.nodes(), ids.clients(), ids.privileged()), ids.summary());
        PinnedKeys list1 = PinnedKeys.none().with(ids.entries());

        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(nc).ca(estate.ca).firstHost(210).pinnedList(list1.list("choria", "broker")).render()) {
            String ns = brokers.names().namespace(), name = brokers.names().cluster();
            assemble(brokers, 0, list1.list(ns, name));
            String users = java.nio.file.Files.readString(java.nio.file.Path.of(brokers.paths(0).pinnedDir(), ChoriaPermissions.USERS_FILE));
            assertTrue(users.contains("{user: \"node1.example.net\""), users);
            assertTrue(brokers.rendered(0).config().getData().get("nats.conf").contains("verify_and_map: true"));
            brokers.start(0);
            String url = brokers.clientUrl(0), caPem = brokers.caPem();

            try (Client n1 = Client.connect(url, node1, caPem); Client n2 = Client.connect(url, node2, caPem);
                 Client a = Client.connect(url, alice, caPem); Client r = Client.connect(url, root, caPem)) {
                // A node: its own subjects, not another node's, not the replies, no requests.
                Subscription own = n1.subscribe(COLLECTIVE + ".node.node1.example.net");
                n1.subscribe(COLLECTIVE + ".node.node2.example.net");
                n1.awaitViolation("a node may not subscribe to another node's subject", COLLECTIVE + ".node.node2.example.net");
                n1.subscribe(COLLECTIVE + ".reply.>");
                n1.awaitViolation("a node may not read the replies", COLLECTIVE + ".reply.>");
                n1.publish(COLLECTIVE + ".broadcast.agent.rpcutil", null, "a node's request");
                n1.awaitViolation("a node may not send requests", COLLECTIVE + ".broadcast.agent.rpcutil");
                assertTrue(!n1.violated(COLLECTIVE + ".node.node1.example.net"), n1.errors().toString());

                // A client's request: every node answers on the client's reply subject, which only it (and a privileged client) reads.
                Subscription n1Requests = n1.subscribe(COLLECTIVE + ".broadcast.agent.>");
                Subscription n2Requests = n2.subscribe(COLLECTIVE + ".broadcast.agent.>");
                String replies = replySubject("alice.mcollective");
                Subscription aliceReplies = a.subscribe(replies + ".>");
                Subscription everyReply = r.subscribe(COLLECTIVE + ".reply.>");
                a.subscribe(COLLECTIVE + ".reply.>");
                a.awaitViolation("a client may not read every reply", COLLECTIVE + ".reply.>");
                a.publish(COLLECTIVE + ".broadcast.agent.rpcutil", replies + ".req1", "ping");
                for (var n : List.of(Map.entry(n1, n1Requests), Map.entry(n2, n2Requests))) {
                    Message req = n.getValue().nextMessage(Duration.ofSeconds(5));
                    assertEquals(replies + ".req1", req.getReplyTo());
                    n.getKey().publish(req.getReplyTo(), null, "pong from " + n.getKey().connection().getServerInfo().getClientIp());
                }
                assertEquals(2, receive(aliceReplies, 2).size(), "the client gets every node's reply");
                assertEquals(2, receive(everyReply, 2).size(), "a privileged client reads every reply");
                a.publish(COLLECTIVE + ".node.node1.example.net", replies + ".req2", "directed");
                assertEquals("directed", new String(own.nextMessage(Duration.ofSeconds(5)).getData(), StandardCharsets.UTF_8));

                // Registration and lifecycle events: nodes publish them; a client the spec lets watch lifecycle events sees them.
                Subscription lifecycle = a.subscribe("choria.lifecycle.>");
                n1.publish(COLLECTIVE + ".broadcast.agent.registration", null, "registration");
                n1.publish("choria.lifecycle.event.alive.server", null, "alive");
                assertEquals("alive", new String(lifecycle.nextMessage(Duration.ofSeconds(5)).getData(), StandardCharsets.UTF_8));
                assertEquals("registration", new String(n2Requests.nextMessage(Duration.ofSeconds(5)).getData(), StandardCharsets.UTF_8));
                assertTrue(!n1.violated("registration") && !n1.violated("lifecycle"), n1.errors().toString());

                // Refused: a certificate that carries another node's name; one the CA signed after the sync.
                assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, rogue.clientContext(caPem)));
                assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, late.clientContext(caPem)), "fail closed until the next sync");

                // The next sync has the late node: admitted after the reload.
                Set<String> second = new HashSet<>(firstSync);
                second.add("late.example.net");
                PinnedKeys list2 = list1.with(NodeIdentities.of(estate.synced(second), new HashSet<>(estate.synced(second).admitted()), authz, null).entries());
                assemble(brokers, 0, list2.list(ns, name));
                brokers.reload(0);
                javax.net.ssl.SSLContext lateCtx = late.clientContext(caPem);
                Await.until("the late node is admitted after the reload", Duration.ofSeconds(10),
                        () -> brokers.attempt(0, lateCtx), x -> x == LocalBrokerCluster.Attempt.ADMITTED);

                // node2 revoked: one reload closes its open connection (its user is gone), while node1 stays.
                second.remove("node2.example.net");
                PinnedKeys list3 = list2.with(NodeIdentities.of(estate.synced(second), new HashSet<>(estate.synced(second).admitted()), authz, null).entries());
                assemble(brokers, 0, list3.list(ns, name));
                brokers.reload(0);
                Await.until("one reload closes the revoked node's open connection", Duration.ofSeconds(10),
                        () -> n2.connection().getStatus(), s -> s != Connection.Status.CONNECTED);
                assertEquals(Connection.Status.CONNECTED, n1.connection().getStatus(), "an admitted node stays connected");
                assertEquals(LocalBrokerCluster.Attempt.NOT_PINNED, brokers.attempt(0, node2.clientContext(caPem)), "and it cannot come back");
            }
        }
    }

    /** The list a sync of {@code certnames} gives, as the operator cuts it (no brokers' key here: nothing of theirs connects). */
    static PinnedKeys identities(Estate estate, Set<String> certnames, AuthorizationSpec authz) throws Exception {
        InventorySync.Result r = estate.synced(certnames);
        return PinnedKeys.none().with(NodeIdentities.of(r, new HashSet<>(r.admitted()), authz, null).entries());
    }

    /**
     * Choria's traffic: every node answers the client's broadcast on the client's reply subject; one node's registration
     * reaches the other (its broadcast subscription), its lifecycle event the client (the spec lets clients watch them).
     * Interest crosses routes and gateways asynchronously, so each is repeated until it arrives (bounded).
     */
    static void choriaTrafficFlows(Client client, String clientName, Map<String, Client> nodes) throws Exception {
        Map<String, Subscription> registrations = new HashMap<>();
        for (var n : nodes.entrySet()) {
            Connection node = n.getValue().connection();
            byte[] me = n.getKey().getBytes(StandardCharsets.UTF_8);
            node.createDispatcher(m -> node.publish(m.getReplyTo(), me)).subscribe(COLLECTIVE + ".broadcast.agent.rpcutil");
            registrations.put(n.getKey(), n.getValue().subscribe(COLLECTIVE + ".broadcast.agent.registration"));
        }
        Subscription replies = client.subscribe(replySubject(clientName) + ".>");
        Subscription lifecycle = client.subscribe("choria.lifecycle.>");
        Set<String> answered = new java.util.TreeSet<>();
        int[] request = {0};
        Await.until("every node answers " + clientName + "'s broadcast", Duration.ofSeconds(20), () -> {
            try {
                client.publish(COLLECTIVE + ".broadcast.agent.rpcutil", replySubject(clientName) + ".req" + request[0]++, "rpcutil ping");
                for (Message m = replies.nextMessage(Duration.ofMillis(200)); m != null; m = replies.nextMessage(Duration.ofMillis(20))) {
                    answered.add(new String(m.getData(), StandardCharsets.UTF_8));
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return answered;
        }, a -> a.containsAll(nodes.keySet()));
        List<String> names = List.copyOf(nodes.keySet());
        Client first = nodes.get(names.get(0));
        Subscription otherRegistrations = registrations.get(names.get(names.size() - 1));
        Await.until(names.get(0) + "'s registration and lifecycle event arrive", Duration.ofSeconds(20), () -> {
            try {
                first.publish(COLLECTIVE + ".broadcast.agent.registration", null, "registration of " + names.get(0));
                first.publish("choria.lifecycle.event.alive.server", null, "alive " + names.get(0));
                Message reg = otherRegistrations.nextMessage(Duration.ofMillis(200));
                Message life = lifecycle.nextMessage(Duration.ofMillis(200));
                return reg != null && life != null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, ok -> ok);
        for (var n : nodes.values()) assertTrue(n.errors().isEmpty(), "nothing a node does here is refused: " + n.errors());
        assertTrue(client.errors().isEmpty(), client.errors().toString());
    }

    @Test
    void choriaTrafficFlowsThroughThreeBrokersAndEachNodeStaysOnItsOwnSubjects() throws Exception {
        Estate estate = new Estate();
        TestCa.Pems node1 = estate.sign("node1.example.net");
        TestCa.Pems node2 = estate.sign("node2.example.net");
        TestCa.Pems alice = estate.sign("alice.mcollective");
        NatsCluster nc = withAuthorization(Examples.THREE_BROKERS);
        PinnedKeys list = identities(estate, estate.certs.keySet(), nc.getSpec().getAuthorization());
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(nc).ca(estate.ca).firstHost(220).pinnedList(list.list("choria", "broker")).render()) {
            for (int i = 0; i < 3; i++) assemble(brokers, i, list.list(brokers.names().namespace(), brokers.names().cluster()));
            for (int i = 0; i < 3; i++) brokers.start(i);
            String caPem = brokers.caPem();
            // The client on the first broker, each node on another.
            try (Client a = Client.connect(brokers.clientUrl(0), alice, caPem); Client n1 = Client.connect(brokers.clientUrl(1), node1, caPem);
                 Client n2 = Client.connect(brokers.clientUrl(2), node2, caPem)) {
                choriaTrafficFlows(a, "alice.mcollective", new java.util.TreeMap<>(Map.of("node1.example.net", n1, "node2.example.net", n2)));
                n1.subscribe(COLLECTIVE + ".node.node2.example.net");
                n1.awaitViolation("a node may not take another node's requests on any broker", COLLECTIVE + ".node.node2.example.net");
                n2.subscribe(replySubject("alice.mcollective") + ".>");
                n2.awaitViolation("nor read a client's replies", replySubject("alice.mcollective"));
            }
        }
    }

    /**
     * Two sites joined by a gateway (and each accepting leaf nodes), each with the users of one Puppet estate: a broadcast at
     * one site is answered at both.
     */
    @Test
    void choriaTrafficFlowsAcrossAGatewayAndTheRulesHoldAtBothSites() throws Exception {
        Estate estate = new Estate();
        TestCa.Pems node1 = estate.sign("node1.example.net");
        TestCa.Pems node2 = estate.sign("node2.example.net");
        TestCa.Pems alice = estate.sign("alice.mcollective");
        TwoSites sites = new TwoSites(List.of("authz-a", "authz-b"), new int[] {230, 240}, nc -> {
            AuthorizationSpec a = new AuthorizationSpec();
            a.getClients().getSubscribe().add("choria.lifecycle.>");
            nc.getSpec().setAuthorization(a);
            // A leaf node port beside the gateway: nats-server then needs a system account, and the users stay global.
            io.choria.natsoperator.api.LeafNodesSpec leaf = new io.choria.natsoperator.api.LeafNodesSpec();
            leaf.setEdges(List.of("edge.example.net"));
            nc.getSpec().setLeafnodes(leaf);
        });
        AuthorizationSpec authz = sites.site(0).getSpec().getAuthorization();
        PinnedKeys list = identities(estate, estate.certs.keySet(), authz);
        try (LocalBrokerCluster a = sites.brokers(estate.ca, 0).pinnedList(list.list("authz-a", "broker")).render();
             LocalBrokerCluster b = sites.brokers(estate.ca, 1).pinnedList(list.list("authz-b", "broker")).render()) {
            assemble(a, 0, list.list("authz-a", "broker"));
            assemble(b, 0, list.list("authz-b", "broker"));
            a.start(0);
            b.start(0);
            String caPem = a.caPem();
            try (Client c = Client.connect(a.clientUrl(0), alice, caPem); Client n1 = Client.connect(a.clientUrl(0), node1, caPem);
                 Client n2 = Client.connect(b.clientUrl(0), node2, caPem)) {
                choriaTrafficFlows(c, "alice.mcollective", new java.util.TreeMap<>(Map.of("node1.example.net", n1, "node2.example.net", n2)));
                n2.subscribe(COLLECTIVE + ".node.node1.example.net");
                n2.awaitViolation("the other site holds its nodes to their subjects too", COLLECTIVE + ".node.node1.example.net");
            }
        }
    }

    /**
     * With Choria Streams the users live in the choria account, where the streams are: a node's lifecycle event is stored
     * in CHORIA_EVENTS, while the node may not use the JetStream API or reach the system account. The operator keeps the
     * streams with its own nkey in choria and reaches the system account with the system nkey (a certificate is only ever a
     * node's user here, and no password is asked), both from the system account Secret the model renders.
     */
    @Test
    void withChoriaStreamsTheUsersAreChoriasAndTheOperatorKeepsTheStreamsWithItsNkeys() throws Exception {
        Estate estate = new Estate();
        TestCa.Pems node1 = estate.sign("node1.example.net");
        NatsCluster nc = withAuthorization(Examples.THREE_BROKERS);
        io.choria.natsoperator.api.StreamsSpec st = new io.choria.natsoperator.api.StreamsSpec();
        st.getStorage().setSize("256Mi");
        nc.getSpec().setStreams(st);
        PinnedKeys list = identities(estate, estate.certs.keySet(), nc.getSpec().getAuthorization());
        String routePassword = io.choria.natsoperator.model.BrokerSecrets.newPassword();
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(nc).ca(estate.ca).firstHost(250).routePassword(routePassword)
                .pinnedList(list.list("choria", "broker")).render()) {
            // The brokers' own key is always on the list (RevocationEnforcement adds it): the operator connects with it.
            java.util.Set<String> withBrokers = new HashSet<>(list.admitted());
            withBrokers.add(TrustBundle.publicKeyPin(brokers.tlsFiles().certificateChainPem()));
            PinnedKeys pinned = list.with(withBrokers);
            for (int i = 0; i < 3; i++) assemble(brokers, i, pinned.list(brokers.names().namespace(), brokers.names().cluster()));
            brokers.startAll();
            String accounts = io.choria.natsoperator.model.BrokerSecrets.decode(brokers.rendered(0).routesConfig(),
                    io.choria.natsoperator.model.ChoriaAccounts.ACCOUNTS_FILE);
            assertTrue(accounts.contains("include \"../pinned/users.conf\"") && !accounts.contains("password"), accounts);
            var secret = brokers.rendered(0).systemAccount();
            var access = new io.choria.natsoperator.jetstream.BrokerAccess(brokers.tlsFiles(), null,
                    io.choria.natsoperator.pki.NKeys.parseSeed(io.choria.natsoperator.model.BrokerSecrets.decode(secret,
                            io.choria.natsoperator.model.BrokerSecrets.SYSTEM_NKEY_KEY)),
                    io.choria.natsoperator.pki.NKeys.parseSeed(io.choria.natsoperator.model.BrokerSecrets.decode(secret,
                            io.choria.natsoperator.model.BrokerSecrets.OPERATOR_NKEY_KEY)));
            var checker = new io.choria.natsoperator.jetstream.StreamsChecker(LocalBrokerCluster.CLUSTER_DOMAIN, host -> brokers.host(brokers.ordinal(host)),
                    x -> access);
            NatsCluster defaulted = io.choria.natsoperator.model.SpecDefaults.withDefaults(brokers.cluster());
            var report = Await.until("the operator keeps the streams through its nkey", Duration.ofSeconds(60), () -> checker.check(defaulted),
                    r -> r.error() == null && r.streams().size() == 5);
            assertTrue(report.streams().stream().anyMatch(x -> x.name().equals("CHORIA_EVENTS")), report.toString());

            String caPem = brokers.caPem();
            try (Client n1 = Client.connect(brokers.clientUrl(1), node1, caPem)) {
                n1.publish("choria.lifecycle.event.alive.server", null, "{\"protocol\":\"io.choria.lifecycle.v1.alive\"}");
                Await.until("the node's lifecycle event is stored in CHORIA_EVENTS", Duration.ofSeconds(20), () -> checker.check(defaulted),
                        r -> r.streams().stream().anyMatch(x -> x.name().equals("CHORIA_EVENTS") && x.messages() == 1));
                n1.publish("$JS.API.STREAM.INFO.CHORIA_EVENTS", null, "");
                n1.awaitViolation("a node may not use the JetStream API", "$JS.API.STREAM.INFO.CHORIA_EVENTS");
                n1.publish("$SYS.REQ.SERVER.PING", null, "");
                n1.awaitViolation("nor ask the system account", "$SYS.REQ.SERVER.PING");
            }
            // The system nkey reaches the system account: what MetaPeers asks when a broker leaves.
            try (var system = io.choria.natsoperator.jetstream.NatsRequests.connect(new java.net.InetSocketAddress(brokers.host(0), 4222),
                    brokers.names().podFqdn(0), brokers.tlsFiles() == null ? null : io.choria.natsoperator.pki.PemSslContexts.clientContext(
                            brokers.tlsFiles().certificateChainPem(), brokers.tlsFiles().privateKeyPem(), brokers.tlsFiles().caBundlePem()),
                    access.systemNKey(), Duration.ofSeconds(5))) {
                String jsz = system.request("$SYS.REQ.SERVER.PING.JSZ", "{\"leader_only\":true}", Duration.ofSeconds(5)).text();
                assertTrue(jsz.contains("\"meta_cluster\""), jsz);
            }
        }
    }


    /** Up to {@code n} messages, waiting at most 10 s in all: on a busy machine the second reply may come a while after the first. */
    private static List<Message> receive(Subscription s, int n) throws InterruptedException {
        List<Message> got = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (got.size() < n && System.nanoTime() < deadline) {
            Message m = s.nextMessage(Duration.ofMillis(200));
            if (m != null) got.add(m);
        }
        return got;
    }
}
