package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.jetstream.BrokerAccess;
import io.choria.natsoperator.jetstream.NatsRequests;
import io.choria.natsoperator.jetstream.StreamKeeper;
import io.choria.natsoperator.jetstream.StreamsChecker;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * 3 → 5 → 3 brokers with Choria Streams (nats-server 2.9.10), through the operator's own StreamsChecker (the production
 * path of its probe): the streams follow spec.streams.replicas up to 5 and back to 3, the two brokers a scale-down takes
 * away are removed from the JetStream meta group once they are offline, and every stream ends with a leader and three
 * current replicas on the brokers that stay.
 */
@External
class StreamsScaleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void threeToFiveToThreeKeepsTheStreamsCurrentAndRemovesTheDepartedPeers() throws Exception {
        try (LocalBrokerCluster brokers = LocalBrokerCluster.of(Examples.load(Examples.THREE_BROKERS)).capacity(5).firstHost(110).edit(nc -> {
            StreamsSpec streams = new StreamsSpec();
            streams.getStorage().setSize("256Mi");
            nc.getSpec().setStreams(streams);
        }).start()) {
            String systemPassword = BrokerSecrets.decode(brokers.rendered(0).systemAccount(), BrokerSecrets.PASSWORD_KEY);
            StreamsChecker checker = new StreamsChecker("cluster.local", host -> brokers.host(brokers.ordinal(host)),
                    nc -> new BrokerAccess(brokers.tlsFiles(), systemPassword));
            List<String> actions = new ArrayList<>();
            awaitReport(brokers, checker, actions, "five streams, R3, all current", r -> healthy(r, 3));
            assertTrue(actions.contains("created CHORIA_EVENTS"), actions.toString());

            // 3 -> 5: the new brokers start, the others take the new routes by a reload; then five replicas each
            brokers.scaleTo(5);
            for (int i = 0; i < 3; i++) brokers.reload(i);
            brokers.start(3, Duration.ofSeconds(120));
            brokers.start(4, Duration.ofSeconds(120));
            brokers.cluster().getSpec().getStreams().setReplicas(5);
            awaitReport(brokers, checker, actions, "every stream R5 and current", r -> healthy(r, 5));
            assertTrue(actions.contains("updated CHORIA_EVENTS"), actions.toString());
            assertEquals(5, metaClusterSize(brokers, systemPassword));

            // 5 -> 3: replicas first (the spec refuses more replicas than brokers), then the size
            brokers.cluster().getSpec().getStreams().setReplicas(3);
            awaitReport(brokers, checker, actions, "every stream back to R3", r -> healthy(r, 3));
            brokers.scaleTo(3);
            brokers.stop(3);
            brokers.stop(4);
            for (int i = 0; i < 3; i++) brokers.reload(i);
            awaitReport(brokers, checker, actions, "both departed peers removed and every stream current on the three left",
                    r -> healthy(r, 3) && actions.containsAll(List.of(
                            "removed departed peer broker-3 from the meta group", "removed departed peer broker-4 from the meta group")));
            assertEquals(3, metaClusterSize(brokers, systemPassword), "the meta group counts the three brokers left");
            // and nothing is removed twice, nor a broker that stays
            StreamKeeper.Report again = checker.check(SpecDefaults.withDefaults(brokers.cluster()));
            assertEquals(List.of(), again.actions());

            // Why it matters: one more broker lost. Three peers with two up keep a meta leader; five peers (the departed
            // two still counted, offline) with two up have none once the leader sees its quorum gone (raft's lost-quorum
            // interval, 10 s in 2.9.10; an election takes 4-9 s), and JetStream stops taking new streams and consumers.
            // Checked past both: from 20 s after the kill to 26 s, every look finds a leader (without the removal, none did).
            brokers.kill(2);
            try {
                long killed = System.nanoTime();
                List<String> missing = new ArrayList<>();
                while (System.nanoTime() - killed < Duration.ofSeconds(26).toNanos()) {
                    boolean settled = System.nanoTime() - killed > Duration.ofSeconds(20).toNanos();
                    if (settled && metaLeader(brokers, systemPassword) == null) missing.add((System.nanoTime() - killed) / 1_000_000 + " ms");
                    Thread.sleep(250);
                }
                assertEquals(List.of(), missing, "looks without a meta leader, after the kill, with two of three brokers up");
            } finally {
                brokers.start(2, Duration.ofSeconds(120));
            }
        }
    }

    private static boolean healthy(StreamKeeper.Report r, int replicas) {
        return r.error() == null && r.streams().size() == 5
                && r.streams().stream().allMatch(s -> s.healthy() && s.replicas() == replicas);
    }

    /** Looks again and again (as the operator's poller does) until {@code done}, collecting what each look did. */
    private static StreamKeeper.Report awaitReport(LocalBrokerCluster brokers, StreamsChecker checker, List<String> actions, String what,
            Predicate<StreamKeeper.Report> done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        StreamKeeper.Report last = null;
        while (System.nanoTime() < deadline) {
            last = checker.check(SpecDefaults.withDefaults(brokers.cluster()));
            actions.addAll(last.actions());
            if (done.test(last)) return last;
            Thread.sleep(500);
        }
        throw new AssertionError("timed out: " + what + "; last look: " + last + "; actions: " + actions);
    }

    /** The meta leader's name, or null when none answers (no quorum). */
    private static String metaLeader(LocalBrokerCluster brokers, String systemPassword) {
        try {
            return metaCluster(brokers, systemPassword).path("leader").asText(null);
        } catch (Exception e) {
            return null;
        }
    }

    private static int metaClusterSize(LocalBrokerCluster brokers, String systemPassword) throws Exception {
        return metaCluster(brokers, systemPassword).path("cluster_size").asInt();
    }

    private static JsonNode metaCluster(LocalBrokerCluster brokers, String systemPassword) throws Exception {
        var tls = brokers.tlsFiles();
        try (NatsRequests system = NatsRequests.connect(new InetSocketAddress(brokers.host(0), brokers.cluster().getSpec().getPorts().getClient()),
                brokers.names().podFqdn(0), io.choria.natsoperator.pki.PemSslContexts.clientContext(tls.certificateChainPem(),
                        tls.privateKeyPem(), tls.caBundlePem()), "system", systemPassword, Duration.ofSeconds(5))) {
            JsonNode jsz = JSON.readTree(system.request("$SYS.REQ.SERVER.PING.JSZ", "{\"leader_only\":true}", Duration.ofSeconds(2)).payload());
            return jsz.path("data").path("meta_cluster");
        }
    }
}
