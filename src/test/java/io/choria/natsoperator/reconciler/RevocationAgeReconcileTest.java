package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.metrics.ClusterMetrics;
import io.choria.natsoperator.model.InstallerSettings;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.MutableClock;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How old the revocation list is, through the real reconciler on the mock API server, with a
 * Puppet CA stand-in that enrols the brokers and then goes down, and a clock the test moves: the
 * status is not rewritten while the list ages, turns RevocationListTooOld exactly at
 * maxSyncAgeSeconds (one write, one Warning Event), and the metrics carry the age and the limit.
 */
class RevocationAgeReconcileTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: stand-in");
    static final String NS = "revocation-age";
    static PuppetCaStandIn puppet;
    static MockCluster cluster;
    static final MutableClock CLOCK = new MutableClock(Instant.now());
    static final ClusterMetrics METRICS = new ClusterMetrics(CLOCK);

    @BeforeAll
    static void start() {
        puppet = PuppetCaStandIn.start(CA);
        puppet.addNode("node1.example.net");
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(400), null,
                InstallerSettings.DEFAULTS, METRICS), CLOCK);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
        if (puppet != null) puppet.close();
    }

    static NatsCluster get() {
        return cluster.client.resources(NatsCluster.class).inNamespace(NS).withName("broker").get();
    }

    static Condition revocation() {
        NatsCluster nc = get();
        return nc == null || nc.getStatus() == null ? null : Conditions.find(nc.getStatus().getConditions(), Conditions.REVOCATION_ENFORCED).orElse(null);
    }

    static long statusWrites(List<RecordedRequest> requests) {
        return requests.stream().filter(MockCluster::isWrite).filter(r -> r.getPath().contains("/natsclusters/broker/status")).count();
    }

    static String metric(String name) {
        String prefix = name + "{namespace=\"" + NS + "\",natscluster=\"broker\"} ";
        return METRICS.render().lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst().orElse(null);
    }

    @Test
    void theStatusSaysTooOldOnceAtTheLimitAndNotBefore() {
        NatsCluster toApply = cluster.enrolled(NS, "broker", CA, puppet.url());
        toApply.getSpec().getTls().getPuppet().setSyncIntervalSeconds(30);
        toApply.getSpec().getTls().getPuppet().setMaxSyncAgeSeconds(120);
        NatsCluster nc = cluster.client.resource(toApply).create();

        // The clock stands still until the test moves it: the one sync happens at t0.
        Instant t0 = CLOCK.instant();
        Await.until("RevocationEnforced=True", Duration.ofSeconds(60), RevocationAgeReconcileTest::revocation,
                c -> c != null && "True".equals(c.getStatus()));
        assertEquals("120", metric("natscluster_revocation_max_sync_age_seconds"), METRICS.render());

        puppet.down();
        CLOCK.advance(Duration.ofSeconds(30));
        Condition stale = Await.until("RevocationStale", Duration.ofSeconds(30), RevocationAgeReconcileTest::revocation,
                c -> "RevocationStale".equals(c.getReason()));
        assertTrue(stale.getMessage().contains("the list synced at " + t0 + " (2 keys) stays in force; it becomes too old at "
                + t0.plus(Duration.ofSeconds(120)) + " (maxSyncAgeSeconds 120)"), stale.getMessage());
        cluster.awaitReconciles(nc, 2); // the pass that wrote it is done
        String version = get().getMetadata().getResourceVersion();
        cluster.drainRequests();

        // A second short of the limit, with an attempt on the way (due at +60 s): reconciles, no status write.
        CLOCK.advance(Duration.ofSeconds(89));
        cluster.awaitReconciles(nc, 3);
        List<RecordedRequest> between = cluster.drainRequests();
        assertEquals(0, statusWrites(between), "status rewritten while the list only aged");
        assertEquals(version, get().getMetadata().getResourceVersion());
        assertEquals(stale, revocation());
        assertEquals("119", metric("natscluster_revocation_sync_age_seconds"), "the age is in the metric");

        CLOCK.advance(Duration.ofSeconds(1));
        Condition tooOld = Await.until("RevocationListTooOld at the limit", Duration.ofSeconds(30), RevocationAgeReconcileTest::revocation,
                c -> "RevocationListTooOld".equals(c.getReason()));
        assertEquals("False", tooOld.getStatus());
        assertTrue(tooOld.getMessage().contains("HTTP 503") && tooOld.getMessage().contains("too old since " + t0.plus(Duration.ofSeconds(120))),
                tooOld.getMessage());
        cluster.awaitReconciles(nc, 3);
        assertEquals(1, statusWrites(cluster.drainRequests()), "one write when the list becomes too old, none after");
        assertTrue(cluster.client.v1().events().inNamespace(NS).list().getItems().stream()
                .anyMatch(e -> "RevocationListTooOld".equals(e.getReason()) && "Warning".equals(e.getType())), "a Warning Event");
        assertEquals("120", metric("natscluster_revocation_sync_age_seconds"));
        assertEquals("120", metric("natscluster_revocation_max_sync_age_seconds"));

        puppet.up();
        CLOCK.advance(Duration.ofSeconds(30)); // the next attempt is due 30 s after the one at +119 s
        Await.until("recovers", Duration.ofSeconds(30), RevocationAgeReconcileTest::revocation, c -> "True".equals(c.getStatus()));
    }
}
