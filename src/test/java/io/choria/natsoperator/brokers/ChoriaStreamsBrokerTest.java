package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.jetstream.NatsRequests;
import io.choria.natsoperator.jetstream.StreamKeeper;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.ChoriaStreams;
import io.choria.natsoperator.pki.PemSslContexts;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.MessageInfo;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Choria Streams on three real brokers (nats-server 2.9.10), rendered by the model with spec.streams, the streams made by
 * the operator's {@link StreamKeeper} through its own request client, with the broker's own certificate as the operator
 * holds it. Nodes and clients are jnats with certificates from the cluster's CA and no user: they land in {@code choria}.
 */
@External
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChoriaStreamsBrokerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static LocalBrokerCluster brokers;
    private static SSLContext operatorTls;

    @BeforeAll
    static void start() throws Exception {
        brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).firstHost(80).edit(nc -> {
            StreamsSpec streams = new StreamsSpec();
            streams.getStorage().setSize("256Mi");
            // short, so the test sees a key expire
            streams.setLeaderElectionTtl("3s");
            nc.getSpec().setStreams(streams);
        }).start();
        var tls = brokers.tlsFiles();
        operatorTls = PemSslContexts.clientContext(tls.certificateChainPem(), tls.privateKeyPem(), tls.caBundlePem());
    }

    @AfterAll
    static void stop() {
        if (brokers != null) brokers.close();
    }

    private static NatsRequests operator(int broker, String user, String password) throws IOException {
        return NatsRequests.connect(new InetSocketAddress(brokers.host(broker), brokers.cluster().getSpec().getPorts().getClient()),
                brokers.names().podFqdn(broker), operatorTls, user, password, TIMEOUT);
    }

    private static StreamKeeper.Report keep(int broker) throws IOException {
        try (NatsRequests c = operator(broker, null, null)) {
            return StreamKeeper.keep(c, ChoriaStreams.wanted(brokers.names(), brokers.cluster().getSpec()), TIMEOUT);
        }
    }

    private static Connection client(String certname) throws Exception {
        var pems = brokers.ca().issueClientCertificate(certname);
        // Brokers 0 and 1 in that order (the test kills broker 2), as a Choria node lists its middleware hosts.
        return Nats.connect(new Options.Builder().server(brokers.clientUrl(0)).server(brokers.clientUrl(1)).noRandomize()
                .sslContext(pems.clientContext(brokers.caPem())).maxReconnects(-1).build());
    }

    @Test
    @Order(1)
    void theKeeperMakesChoriasStreamsWithThreeReplicasOnceAndThenLeavesThem() throws Exception {
        StreamKeeper.Report first = await("the meta group has a leader", () -> keep(0));
        assertEquals(List.of("created CHORIA_EVENTS", "created CHORIA_MACHINE", "created CHORIA_STREAM_ADVISORIES", "created CHORIA_EXECUTOR",
                "created KV_CHORIA_LEADER_ELECTION"), first.actions());
        StreamKeeper.Report second = keep(1);
        assertEquals(List.of(), second.actions(), "a second pass (through another broker) changes nothing");
        for (StreamKeeper.StreamState s : second.streams()) assertEquals(3, s.replicas(), s.name());
        // each broker's store limit is 90 % of its volume (256Mi)
        JsonNode varz = JSON.readTree(brokers.monitorUri(0).resolve("/varz").toURL());
        assertEquals((long) (256L * 1024 * 1024 * 0.9), varz.path("jetstream").path("config").path("max_storage").asLong(), varz.path("jetstream").toString());
        assertEquals(0, varz.path("jetstream").path("config").path("max_memory").asLong());
    }

    @Test
    @Order(2)
    void aNodesLifecycleEventIsStoredAndReadByAClientThroughABrokerKill() throws Exception {
        try (Connection node = client("node-1.example.net"); Connection admin = client("alice.mcollective")) {
            node.publish("choria.lifecycle.event.alive.node-1", "{\"event\":\"alive\",\"n\":1}".getBytes(StandardCharsets.UTF_8));
            node.flush(TIMEOUT);
            MessageInfo first = awaitValue("the event stored", () -> admin.jetStreamManagement()
                    .getLastMessage(ChoriaStreams.EVENTS, "choria.lifecycle.event.alive.node-1"));
            assertTrue(new String(first.getData(), StandardCharsets.UTF_8).contains("\"n\":1"));
            awaitTrue("all three replicas current", () -> events(keep(0)).current() == 3);

            brokers.kill(2);
            try {
                // R3 keeps a quorum with two: once a leader is elected among them (a few seconds when the killed broker led
                // the stream: a fire-and-forget publish, as a node's lifecycle event is, is lost until then), the stream takes
                // the next event and serves it.
                awaitTrue("a stream leader among the two left", () -> {
                    StreamKeeper.StreamState s = events(keep(0));
                    return s.leader() != null && !s.leader().equals(brokers.names().pod(2)) && s.current() >= 2;
                });
                node.publish("choria.lifecycle.event.alive.node-1", "{\"event\":\"alive\",\"n\":2}".getBytes(StandardCharsets.UTF_8));
                node.flush(TIMEOUT);
                awaitTrue("the second event stored with a broker down", () -> {
                    MessageInfo m = admin.jetStreamManagement().getLastMessage(ChoriaStreams.EVENTS, "choria.lifecycle.event.alive.node-1");
                    return new String(m.getData(), StandardCharsets.UTF_8).contains("\"n\":2");
                });
            } finally {
                brokers.start(2, Duration.ofSeconds(120));
            }
            awaitTrue("the restarted broker caught up", () -> {
                StreamKeeper.StreamState s = events(keep(2));
                return s.current() == 3 && s.messages() == 2;
            });
        }
    }

    @Test
    @Order(3)
    void theLeaderElectionBucketRefusesATakenKeyUntilItsTtl() throws Exception {
        try (Connection a = client("provisioner-a.choria"); Connection b = client("provisioner-b.choria")) {
            KeyValue kvA = a.keyValue(ChoriaStreams.LEADER_ELECTION_BUCKET);
            KeyValue kvB = b.keyValue(ChoriaStreams.LEADER_ELECTION_BUCKET);
            kvA.create("provisioner", "a".getBytes(StandardCharsets.UTF_8));
            assertThrows(JetStreamApiException.class, () -> kvB.create("provisioner", "b".getBytes(StandardCharsets.UTF_8)),
                    "a key another client holds is refused");
            // after the bucket's TTL (3 s here; Choria's 1 m by default) the key is gone and B takes it
            awaitValue("B takes the key after the TTL", () -> kvB.create("provisioner", "b".getBytes(StandardCharsets.UTF_8)));
            assertEquals("b", new String(kvA.get("provisioner").getValue(), StandardCharsets.UTF_8));
        }
    }

    @Test
    @Order(4)
    void theSystemAccountAnswersServerChecksAndANodeCannotRemoveAPeer() throws Exception {
        String password = BrokerSecrets.decode(brokers.rendered(0).systemAccount(), BrokerSecrets.PASSWORD_KEY);
        assertEquals("system", BrokerSecrets.decode(brokers.rendered(0).systemAccount(), "user"));
        try (NatsRequests system = operator(0, "system", password)) {
            List<NatsRequests.Reply> pongs = system.requestAll("$SYS.REQ.SERVER.PING", "", Duration.ofSeconds(3), 3);
            assertEquals(3, pongs.size(), "every broker answers the system account's PING (choria broker server list)");
            JsonNode jsz = JSON.readTree(system.request("$SYS.REQ.SERVER.PING.JSZ", "{\"leader_only\":true}", TIMEOUT).payload());
            assertFalse(jsz.path("data").path("meta_cluster").path("leader").asText().isEmpty(), jsz.toString());
            assertEquals(3, jsz.path("data").path("meta_cluster").path("cluster_size").asInt(), jsz.toString());
        }
        try (NatsRequests node = operator(1, null, null)) {
            // Before 2.10.27 nats-server takes a peer removal from any JetStream account: the choria user is denied it.
            IOException refused = assertThrows(IOException.class,
                    () -> node.request("$JS.API.SERVER.REMOVE", "{\"peer\":\"" + brokers.names().pod(2) + "\"}", TIMEOUT));
            assertTrue(refused.getMessage().contains("Permissions Violation"), refused.getMessage());
        }
        // a wrong password is refused: the system account is not open
        IOException wrong = assertThrows(IOException.class, () -> operator(0, "system", password + "x").close());
        assertTrue(wrong.getMessage().contains("Authorization Violation"), wrong.getMessage());
    }

    @Test
    @Order(5)
    void aRollingRestartLosesNoAcknowledgedEvent() throws Exception {
        String subject = "choria.lifecycle.event.rolling.node-9";
        java.util.Set<Integer> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean rolling = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger retries = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger fresh = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> lastError = new java.util.concurrent.atomic.AtomicReference<>("none");
        long giveUp = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        // A producer that must not lose an event: publish with an id, and on a timeout or refusal publish it again (the
        // stream's duplicate window drops a second copy). After three failures in a row it opens a new connection: a jnats
        // 2.24.1 connection sometimes wedges after reconnecting to a restarted broker (CONNECTED, its inbox subscribed, yet
        // the broker's /connz counted 1 message in from it over 150 s of retries, while a new connection published at once).
        Thread publishing = new Thread(() -> {
            Connection producer = null;
            try {
                int failures = 0;
                for (int k = 0; (rolling.get() || k < 50) && System.nanoTime() < giveUp; k++) {
                    byte[] body = ("{\"n\":" + k + "}").getBytes(StandardCharsets.UTF_8);
                    io.nats.client.PublishOptions id = io.nats.client.PublishOptions.builder().messageId("rolling-" + k).build();
                    while (System.nanoTime() < giveUp) {
                        try {
                            if (producer == null || failures >= 3) {
                                if (producer != null) {
                                    producer.close();
                                    fresh.incrementAndGet();
                                }
                                producer = client("producer.mcollective");
                                failures = 0;
                            }
                            producer.jetStream(io.nats.client.JetStreamOptions.builder().requestTimeout(Duration.ofSeconds(2)).build())
                                    .publish(subject, body, id);
                            acked.add(k);
                            failures = 0;
                            break;
                        } catch (InterruptedException stop) {
                            return;
                        } catch (Exception e) {
                            failures++;
                            retries.incrementAndGet();
                            lastError.set(e.toString());
                            Thread.sleep(50);
                        }
                    }
                }
            } catch (InterruptedException stop) {
                // the test is over
            } finally {
                if (producer != null) {
                    try {
                        producer.close();
                    } catch (InterruptedException ignored) {
                        // closing anyway
                    }
                }
            }
        });
        publishing.start();
        // The brokers one at a time, as the StatefulSet rolls them: stop (SIGTERM: JetStream hands its leaderships
        // over as it shuts down), start, and move on once the rendered readiness probe passes (JetStream running; not
        // its streams caught up: the next broker may stop while this one still catches up).
        String readiness = readinessPath();
        List<String> caughtUp = new java.util.ArrayList<>();
        for (int i = 2; i >= 0; i--) {
            brokers.stop(i);
            long t0 = System.nanoTime();
            brokers.startWithoutWaiting(i);
            int broker = i;
            awaitTrue(brokers.names().pod(i) + " ready", () -> status(brokers.monitorUri(broker).resolve(readiness)) == 200);
            caughtUp.add(brokers.names().pod(i) + " " + (System.nanoTime() - t0) / 1_000_000 + " ms");
        }
        rolling.set(false);
        publishing.join(Duration.ofSeconds(160).toMillis());
        assertFalse(publishing.isAlive(), "the producer finished");
        // the message is made only on a failure: right after the roll JetStream may not answer yet
        assertTrue(System.nanoTime() < giveUp, () -> "the producer could not publish within 150 s; last error: " + lastError.get() + "; " + lookQuietly());
        // the last restart's elections settle after its /healthz: read once the stream is led and current again
        awaitTrue("CHORIA_EVENTS led, with three current replicas, after the roll", () -> events(keep(0)).healthy());
        java.util.Set<Integer> stored = new java.util.HashSet<>();
        try (Connection reader = client("reader.mcollective")) {
            io.nats.client.JetStreamSubscription sub = awaitValue("an ordered consumer", () -> reader.jetStream().subscribe(subject,
                    io.nats.client.PushSubscribeOptions.builder().stream(ChoriaStreams.EVENTS).ordered(true).build()));
            io.nats.client.Message m;
            while ((m = sub.nextMessage(Duration.ofSeconds(3))) != null) stored.add(JSON.readTree(m.getData()).path("n").asInt());
        }
        java.util.Set<Integer> lost = new java.util.TreeSet<>(acked);
        lost.removeAll(stored);
        assertEquals(java.util.Set.of(), lost, "acknowledged events missing after the rolling restart (" + acked.size() + " acknowledged, "
                + retries.get() + " publishes retried)");
        assertTrue(acked.size() >= 50, acked.size() + " acknowledged");
        System.out.printf("rolling restart: %d events acknowledged, all stored; %d publishes retried; %d new producer connections;"
                + " start to ready: %s%n", acked.size(), retries.get(), fresh.get(), caughtUp);
    }

    /**
     * The rendered readiness probe ({@code /healthz?js-enabled-only=true}) takes a broker that comes back behind a stream at
     * once, while the whole {@code /healthz} (what the NATS chart's startup probe waits for) still fails until its replica
     * has caught up: it serves Choria's core NATS while JetStream catches up. Seen on a broker restarted behind 100,000 events.
     */
    @Test
    @Order(6)
    void aBrokerBackBehindAStreamIsReadyBeforeItsStartupProbePasses() throws Exception {
        brokers.kill(2);
        boolean started = false;
        try (Connection node = client("node-2.example.net")) {
            io.nats.client.JetStream js = node.jetStream();
            awaitTrue("a stream leader among the two left", () -> {
                StreamKeeper.StreamState s = events(keep(0));
                return s.leader() != null && !s.leader().equals(brokers.names().pod(2)) && s.current() >= 2;
            });
            List<java.util.concurrent.CompletableFuture<io.nats.client.api.PublishAck>> acks = new java.util.ArrayList<>();
            byte[] body = new byte[200];
            for (int k = 0; k < 100_000; k++) {
                acks.add(js.publishAsync("choria.lifecycle.event.behind.node-2", body));
                if (acks.size() == 512) {
                    for (var f : acks) f.get();
                    acks.clear();
                }
            }
            for (var f : acks) f.get();
            brokers.startWithoutWaiting(2);
            started = true;
            java.net.URI base = brokers.monitorUri(2);
            boolean readyWhileBehind = false;
            String readiness = readinessPath();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            int full;
            do {
                int ready = status(base.resolve(readiness));
                full = status(base.resolve("/healthz"));
                if (ready == 200 && full == 503) readyWhileBehind = true;
                if (System.nanoTime() > deadline) throw new AssertionError("the whole /healthz never passed");
                Thread.sleep(10);
            } while (full != 200);
            assertTrue(readyWhileBehind, "ready while the whole /healthz still failed (behind), at least once");
        } finally {
            if (!started) brokers.start(2, Duration.ofSeconds(120));
        }
    }

    /** The keeper's look for a failure message, or why there is none. */
    private static String lookQuietly() {
        try {
            return keep(0).toString();
        } catch (IOException e) {
            return "the streams: no answer (" + e.getMessage() + ")";
        }
    }

    /** The readiness probe's path as the model renders it for these brokers. */
    private static String readinessPath() {
        return brokers.renderedStatefulSet(0).getSpec().getTemplate().getSpec().getContainers().get(0).getReadinessProbe().getHttpGet().getPath();
    }

    private static int status(java.net.URI uri) {
        try {
            var c = (java.net.HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(1000);
            return c.getResponseCode();
        } catch (IOException e) {
            return -1;
        }
    }

    private static StreamKeeper.StreamState events(StreamKeeper.Report r) {
        assertNotNull(r.streams(), r.toString());
        return r.streams().stream().filter(s -> s.name().equals(ChoriaStreams.EVENTS)).findFirst()
                .orElseThrow(() -> new AssertionError("no CHORIA_EVENTS in " + r));
    }

    interface Attempt<T> {
        T get() throws Exception;
    }

    /** The first value {@code attempt} gives without throwing (and, for a Report, without an error), within 30 s. */
    private static <T> T awaitValue(String what, Attempt<T> attempt) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        Throwable last = null;
        while (System.nanoTime() < deadline) {
            try {
                T value = attempt.get();
                if (!(value instanceof StreamKeeper.Report r) || r.error() == null) return value;
                last = new AssertionError(r.error());
            } catch (Exception | AssertionError e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out: " + what + ": " + last, last);
    }

    private static <T> T await(String what, Attempt<T> attempt) throws InterruptedException {
        return awaitValue(what, attempt);
    }

    private static void awaitTrue(String what, Attempt<Boolean> check) throws InterruptedException {
        awaitValue(what, () -> {
            if (!check.get()) throw new AssertionError("not yet");
            return true;
        });
    }
}
