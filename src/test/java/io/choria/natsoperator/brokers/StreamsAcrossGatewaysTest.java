package io.choria.natsoperator.brokers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.StreamsSpec;
import io.choria.natsoperator.jetstream.BrokerAccess;
import io.choria.natsoperator.jetstream.StreamKeeper;
import io.choria.natsoperator.jetstream.StreamsChecker;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.External;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Choria Streams at two sites joined by gateways (nats-server 2.9.10, one broker each on 127.0.0.150 and .160): JetStream
 * makes one meta group of the super-cluster and stream names are one namespace in the {@code choria} account, so both
 * sites' operators meet the same CHORIA_EVENTS. Each site places the streams it makes in its own cluster; a stream placed
 * at another site is that site's to keep, so two sites whose spec.streams differ do not rewrite each other's streams on
 * every pass; and a node at either site has its events stored.
 */
@External
class StreamsAcrossGatewaysTest {
    static final List<String> SITES = List.of("js-a", "js-b");
    static final int[] FIRST_HOST = {150, 160};

    static final TwoSites TWO = new TwoSites(SITES, FIRST_HOST, nc -> {
        StreamsSpec streams = new StreamsSpec();
        streams.getStorage().setSize("256Mi");
        nc.getSpec().setStreams(streams);
    });

    @Test
    void eachSiteKeepsTheStreamsItPlacedAndANodeAtEitherSiteIsStored() throws Exception {
        TestCa ca = TestCa.rsaRoot("Test Puppet CA");
        LocalBrokerCluster[] site = new LocalBrokerCluster[2];
        try {
            for (int s = 0; s < 2; s++) {
                site[s] = TWO.brokers(ca, s).render();
            }
            // Site a alone: JetStream waits for the super-cluster's meta group, which needs site b. The rendered probes
            // (js-enabled-only) pass, so a site whose partner is away keeps serving Choria; the whole /healthz does not.
            site[0].startWithoutWaiting(0);
            String probe = io.choria.natsoperator.model.BrokerStatefulSet.healthPath(SpecDefaults.withDefaults(site[0].cluster()).getSpec());
            Await.until("site a's broker passes the rendered probe " + probe, Duration.ofSeconds(30),
                    () -> status(site[0].monitorUri(0).resolve(probe)), c -> c == 200);
            assertEquals(503, status(site[0].monitorUri(0).resolve("/healthz")), "no meta leader without site b");
            site[1].startWithoutWaiting(0);
            for (LocalBrokerCluster c : site) c.awaitHealthy(0, Duration.ofSeconds(60));
            StreamsChecker[] checker = new StreamsChecker[2];
            for (int s = 0; s < 2; s++) checker[s] = checker(site[s]);
            // Site b wants its events kept 12 h, site a the default 24 h: the spec differs where the stream is one.
            site[1].cluster().getSpec().getStreams().getRetention().setEvents("12h");

            StreamKeeper.Report a = await("site a makes its streams, led and current", checker[0], site[0], r -> r.error() == null && healthy(r));
            assertTrue(a.actions().contains("created CHORIA_EVENTS"), a.actions().toString());
            assertTrue(a.streams().stream().allMatch(x -> x.keptBy() == null), "site a's own: " + a.streams());
            List<String> seenAtB = new ArrayList<>();
            StreamKeeper.Report b = null;
            for (int pass = 0; pass < 3; pass++) {
                b = checker[1].check(SpecDefaults.withDefaults(site[1].cluster()));
                seenAtB.addAll(b.actions());
                assertEquals(null, b.error(), b.toString());
            }
            for (StreamKeeper.StreamState x : b.streams()) {
                assertEquals(SITES.get(0), x.keptBy(), x.toString());
                assertEquals(x.name().equals("CHORIA_EVENTS"), x.settingsDiffer(), "only the events' retention differs: " + x);
            }
            assertTrue(seenAtB.stream().noneMatch(x -> x.startsWith("updated") || x.startsWith("created")),
                    "site b leaves site a's streams alone: " + seenAtB);
            StreamKeeper.Report aAgain = checker[0].check(SpecDefaults.withDefaults(site[0].cluster()));
            assertEquals(List.of(), aAgain.actions(), "and site a has nothing to put back");

            // A node at site b: its lifecycle event crosses the gateway into the stream site a keeps.
            for (int s = 0; s < 2; s++) {
                try (Connection node = Nats.connect(new Options.Builder().server(site[s].clientUrl(0))
                        .sslContext(ca.issueClientCertificate("node" + s + ".example.net").clientContext(site[s].caPem())).build())) {
                    PublishAck ack = node.jetStream().publish("choria.lifecycle.event.alive.node" + s, "{}".getBytes());
                    assertEquals("CHORIA_EVENTS", ack.getStream(), "a node at " + SITES.get(s));
                }
            }
        } finally {
            for (LocalBrokerCluster c : site) if (c != null) c.close();
        }
    }

    static int status(java.net.URI uri) {
        try {
            var c = (java.net.HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(1000);
            c.setReadTimeout(2000);
            try {
                return c.getResponseCode();
            } finally {
                c.disconnect();
            }
        } catch (java.io.IOException e) {
            return -1;
        }
    }

    static StreamsChecker checker(LocalBrokerCluster brokers) {
        String systemPassword = BrokerSecrets.decode(brokers.rendered(0).systemAccount(), BrokerSecrets.PASSWORD_KEY);
        return new StreamsChecker(LocalBrokerCluster.CLUSTER_DOMAIN, host -> brokers.host(0), nc -> new BrokerAccess(brokers.tlsFiles(), systemPassword));
    }

    static boolean healthy(StreamKeeper.Report r) {
        return r.streams().size() == 5 && r.streams().stream().allMatch(StreamKeeper.StreamState::healthy);
    }

    static StreamKeeper.Report await(String what, StreamsChecker checker, LocalBrokerCluster brokers,
            java.util.function.Predicate<StreamKeeper.Report> done) {
        List<String> actions = new ArrayList<>();
        return Await.until(what, Duration.ofSeconds(60), () -> {
            StreamKeeper.Report r = checker.check(SpecDefaults.withDefaults(brokers.cluster()));
            actions.addAll(r.actions());
            return new StreamKeeper.Report(r.streams(), new ArrayList<>(actions), r.error());
        }, done);
    }
}
