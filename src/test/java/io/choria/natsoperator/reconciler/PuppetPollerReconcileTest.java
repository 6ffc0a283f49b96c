package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Conditions;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Puppet inventory sync runs beside the reconcile, through the real reconciler on the mock API
 * server with Puppet CA stand-ins: a Puppet CA that trickles its answer holds no reconcile (its own
 * cluster's nor another's), a settled enrolled cluster's status is not rewritten by syncs that find
 * the same list, and clusters naming the same Puppet CA share one sync. The clock stands still until
 * a test moves it, so every sync is one the test asked for and counted.
 */
class PuppetPollerReconcileTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: stand-in");
    static final MutableClock CLOCK = new MutableClock(Instant.now());
    static final int INTERVAL = 5;
    static PuppetCaStandIn healthy;
    static PuppetCaStandIn slow;
    static PuppetCaStandIn shared;
    static MockCluster cluster;

    @BeforeAll
    static void start() {
        healthy = PuppetCaStandIn.start(CA);
        slow = PuppetCaStandIn.start(CA);
        shared = PuppetCaStandIn.start(CA);
        for (PuppetCaStandIn p : List.of(healthy, slow, shared)) p.addNode("node1.example.net");
        cluster = new MockCluster().startOperator(new OperatorSettings("cluster.local", Set.of(), Duration.ofMillis(400), null,
                InstallerSettings.DEFAULTS, new ClusterMetrics(CLOCK)), CLOCK);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
        for (PuppetCaStandIn p : new PuppetCaStandIn[] {healthy, slow, shared}) if (p != null) p.close();
    }

    static NatsCluster create(String ns, String name, PuppetCaStandIn puppet) {
        NatsCluster toApply = cluster.enrolled(ns, name, CA, puppet.url());
        toApply.getSpec().getTls().getPuppet().setSyncIntervalSeconds(INTERVAL);
        return cluster.client.resource(toApply).create();
    }

    static Condition revocation(NatsCluster nc) {
        NatsCluster now = cluster.client.resources(NatsCluster.class).inNamespace(nc.getMetadata().getNamespace())
                .withName(nc.getMetadata().getName()).get();
        return now == null || now.getStatus() == null ? null
                : Conditions.find(now.getStatus().getConditions(), Conditions.REVOCATION_ENFORCED).orElse(null);
    }

    static Condition awaitEnforced(NatsCluster nc) {
        return Await.until(nc.getMetadata().getName() + " RevocationEnforced=True", Duration.ofSeconds(60), () -> revocation(nc),
                c -> c != null && "True".equals(c.getStatus()));
    }

    /** Writes of these clusters' status (other tests' clusters may be busy with their own). */
    static long statusWrites(List<RecordedRequest> requests, NatsCluster... clusters) {
        return requests.stream().filter(MockCluster::isWrite).filter(r -> java.util.Arrays.stream(clusters).anyMatch(nc -> r.getPath()
                .contains("/namespaces/" + nc.getMetadata().getNamespace() + "/natsclusters/" + nc.getMetadata().getName() + "/status"))).count();
    }

    /**
     * One sync, counted at the stand-in: moves the clock one interval on and waits until Puppet is asked for its
     * inventory once more, then for a whole reconcile of each cluster that starts after that (the one that would
     * write what the sync brought).
     */
    static void oneSync(PuppetCaStandIn puppet, NatsCluster... clusters) {
        int asked = puppet.requests("certificate_statuses");
        CLOCK.advance(Duration.ofSeconds(INTERVAL));
        Await.until("a sync asks the Puppet CA", Duration.ofSeconds(30), () -> puppet.requests("certificate_statuses"), n -> n > asked);
        for (NatsCluster nc : clusters) cluster.awaitNextReconcile(nc);
    }

    /**
     * A Puppet CA that answers its inventory one byte a second holds no reconcile: its own cluster's reconciles finish
     * while the answer trickles (before, the reconcile thread waited on the body with no deadline, for as long as the
     * server kept sending), another cluster's Puppet sync and reconciles go on, and the slow answer is cut at the
     * client's deadline (RevocationStale, naming it).
     */
    @Test
    void aTricklingPuppetCaHoldsNoReconcile() {
        slow.trickle("certificate_statuses", Duration.ofSeconds(1));
        NatsCluster a = create("poller-slow", "broker", slow);
        Await.until("the slow Puppet CA is asked for its inventory", Duration.ofSeconds(60), () -> slow.trickling(), n -> n > 0);
        // The answer is about 150 bytes: it would take minutes. Meanwhile A is reconciled again and again (400 ms resync).
        cluster.awaitReconciles(a, 3);
        NatsCluster b = create("poller-other", "broker", healthy);
        awaitEnforced(b);
        cluster.awaitReconciles(b, 2);
        cluster.awaitReconciles(a, 2);
        Condition pending = revocation(a);
        assertNotNull(pending, "A's reconcile wrote its status while its Puppet CA trickled");
        assertEquals("False", pending.getStatus());
        Condition cut = Await.until("the trickled answer cut at the deadline", Duration.ofSeconds(60), () -> revocation(a),
                c -> c != null && "RevocationStale".equals(c.getReason()));
        assertTrue(cut.getMessage().contains("within 10s"), cut.getMessage());
        slow.trickle(null, null);
    }

    /**
     * A settled enrolled cluster: syncs that find the same list write nothing. Before, the RevocationEnforced message
     * carried the sync time, so every sync rewrote the status.
     */
    @Test
    void syncsThatFindTheSameListWriteNoStatus() {
        NatsCluster nc = create("poller-settled", "broker", healthy);
        Condition enforced = awaitEnforced(nc);
        oneSync(healthy, nc); // settles whatever the first sync left
        cluster.drainRequests();
        for (int i = 0; i < 3; i++) oneSync(healthy, nc);
        List<RecordedRequest> during = cluster.drainRequests();
        assertEquals(0, statusWrites(during, nc), "status writes by three syncs that found the same list");
        assertEquals(enforced, revocation(nc));
        assertTrue(healthy.requests("certificate_statuses") >= 4, "the syncs happened");
    }

    /**
     * Several clusters naming the same Puppet CA (same URL, same CA bundle): one sync a round asks it for its inventory
     * and CRL, not one per cluster. Each cluster's brokers' certificate is shown to Puppet at least once (see
     * PuppetInventory on why a cluster gets the shared answer).
     */
    @Test
    void clustersNamingTheSamePuppetCaShareOneSync() {
        List<NatsCluster> clusters = new ArrayList<>();
        for (int i = 0; i < 4; i++) clusters.add(create("poller-shared", "broker-" + i, shared));
        clusters.forEach(PuppetPollerReconcileTest::awaitEnforced);
        NatsCluster[] all = clusters.toArray(new NatsCluster[0]);
        oneSync(shared, all);
        int statuses = shared.requests("certificate_statuses");
        int crls = shared.requests("certificate_revocation_list");
        cluster.drainRequests();
        for (int i = 0; i < 3; i++) oneSync(shared, all);
        assertEquals(0, statusWrites(cluster.drainRequests(), all), "status writes of the 4 settled clusters");
        assertEquals(3, shared.requests("certificate_statuses") - statuses, "inventory requests for 4 clusters over 3 syncs");
        assertEquals(3, shared.requests("certificate_revocation_list") - crls, "CRL requests for 4 clusters over 3 syncs");
    }
}
