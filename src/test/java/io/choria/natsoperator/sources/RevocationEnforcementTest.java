package io.choria.natsoperator.sources;

import io.choria.natsoperator.status.Observation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.PuppetEnrolmentSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.SecretKeyReference;
import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.NatsConfig;
import io.choria.natsoperator.puppet.PinnedKeys;
import io.choria.natsoperator.puppet.PuppetCaClient;
import io.choria.natsoperator.puppet.PuppetInventory;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Revocation enforcement against a Puppet CA stand-in (no Puppet Server), with the time given to
 * each pass: what it says while Puppet is down, and when it asks Puppet again. The syncs run in a
 * {@link PuppetInventory#manual} inventory, driven by the test between reconcile passes.
 */
class RevocationEnforcementTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: stand-in");
    static final Names NAMES = new Names("broker", "choria", "cluster.local");
    static PuppetCaStandIn puppet;
    static TrustBundle bundle;
    static TlsFiles identity;

    @BeforeAll
    static void start() throws Exception {
        puppet = PuppetCaStandIn.start(CA);
        puppet.addNode("node1.example.net");
        bundle = TrustBundle.parse(CA.certPem());
        IssuedCertificate broker = CA.load().issue(new ServerCertificateRequest("broker.choria.nats-00000000",
                List.of("broker.choria.svc"), TlsSpec.KeyAlgorithm.EC_P256, 30), Instant.now());
        identity = new TlsFiles(broker.certificateChainPem(), broker.privateKeyPem(), CA.certPem());
    }

    @AfterAll
    static void stop() {
        if (puppet != null) puppet.close();
    }

    static NatsCluster cluster(int syncIntervalSeconds) {
        return cluster(syncIntervalSeconds, null);
    }

    static NatsCluster cluster(int syncIntervalSeconds, Integer maxSyncAgeSeconds) {
        NatsCluster nc = Examples.load(Examples.ONE_BROKER);
        TlsSpec tls = new TlsSpec();
        PuppetEnrolmentSpec p = new PuppetEnrolmentSpec();
        p.setUrl(puppet.url().toString());
        p.setCaBundleSecretRef(new SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        p.setSyncIntervalSeconds(syncIntervalSeconds);
        p.setMaxSyncAgeSeconds(maxSyncAgeSeconds);
        tls.setPuppet(p);
        nc.getSpec().setTls(tls);
        return SpecDefaults.withDefaults(nc);
    }

    /** A RevocationEnforcement and the inventory it reads, whose syncs run only when a pass runs them. */
    record Fixture(RevocationEnforcement e, PuppetInventory inventory) {
        static Fixture of(PuppetCaClient.Limits limits) {
            PuppetInventory inventory = PuppetInventory.manual(limits);
            return new Fixture(new RevocationEnforcement(inventory), inventory);
        }

        static Fixture of() {
            return of(PuppetCaClient.Limits.DEFAULT);
        }

        /** A reconcile at {@code now}, with whatever sync is due by then run just before it reads the result. */
        RevocationEnforcement.Outcome pass(NatsCluster nc, Instant now) {
            return pass("uid-1", nc, identity, null, now);
        }

        RevocationEnforcement.Outcome pass(String uid, NatsCluster nc, TlsFiles brokers, ConfigMap liveConfig, Instant now) {
            java.util.function.Function<String, ConfigMap> live = name -> liveConfig != null && name.equals(liveConfig.getMetadata().getName())
                    ? liveConfig : null;
            e.pins(uid, NAMES, nc.getSpec(), bundle, brokers, live, null, now, null, () -> {});
            inventory.pollDue(now);
            return e.pins(uid, NAMES, nc.getSpec(), bundle, brokers, live, null, now, null, () -> {});
        }
    }

    @Test
    void whilePuppetIsDownItIsAskedOncePerSyncIntervalNotOnEveryReconcile() {
        Fixture e = Fixture.of();
        NatsCluster nc = cluster(30);
        Instant t0 = Instant.now();
        puppet.up();
        try {
            assertEquals(Reason.RevocationEnforced, e.pass(nc, t0).observation().reason());
            puppet.down();
            RevocationEnforcement.Outcome failed = e.pass(nc, t0.plus(Duration.ofSeconds(30)));
            assertEquals(Reason.RevocationStale, failed.observation().reason());
            int asked = puppet.requests();
            // reconciles for other reasons (events, the resync) in between: Puppet is not asked again
            for (int s : new int[] {31, 40, 59}) {
                RevocationEnforcement.Outcome o = e.pass(nc, t0.plus(Duration.ofSeconds(s)));
                assertEquals(Reason.RevocationStale, o.observation().reason());
            }
            assertEquals(asked, puppet.requests(), "no request to Puppet before the next attempt is due");
            e.pass(nc, t0.plus(Duration.ofSeconds(60)));
            assertTrue(puppet.requests() > asked, "asked again one interval after the failed attempt");
            puppet.up();
            assertEquals(Reason.RevocationEnforced, e.pass(nc, t0.plus(Duration.ofSeconds(90))).observation().reason(), "recovers");
            assertEquals(null, e.pass(nc, t0.plus(Duration.ofSeconds(91))).wakeAt(), "no wake-up for the next sync: the inventory runs it");
        } finally {
            puppet.up();
        }
    }

    /**
     * While Puppet is down the condition says when the kept list becomes too old and does not change until then (an
     * unchanged observation is an unchanged status: no write); exactly at the limit it turns to RevocationListTooOld,
     * once, and the pass before wakes the reconcile for that moment.
     */
    @Test
    void theKeptListIsTooOldExactlyAtMaxSyncAgeAndTheStatusChangesOnlyThen() {
        Fixture e = Fixture.of();
        NatsCluster nc = cluster(30, 100);
        Instant t0 = Instant.now();
        puppet.up();
        try {
            assertEquals(Reason.RevocationEnforced, e.pass(nc, t0).observation().reason());
            puppet.down();
            Observation.RevocationObservation stale = e.pass(nc, t0.plus(Duration.ofSeconds(30))).observation();
            assertEquals(Reason.RevocationStale, stale.reason());
            assertFalse(stale.enforced());
            String tooOldAt = t0.plus(Duration.ofSeconds(100)).toString();
            assertTrue(stale.message().contains("HTTP 503"), "the cause: " + stale.message());
            assertTrue(stale.message().contains("the list synced at " + t0 + " (2 keys) stays in force; it becomes too old at " + tooOldAt
                    + " (maxSyncAgeSeconds 100)"), stale.message());
            for (int s : new int[] {31, 59, 60, 89, 90, 99}) {
                RevocationEnforcement.Outcome o = e.pass(nc, t0.plus(Duration.ofSeconds(s)));
                assertEquals(stale, o.observation(), "at +" + s + "s the status would be rewritten");
                if (s >= 90) assertEquals(t0.plus(Duration.ofSeconds(100)), o.wakeAt(), "woken at the limit, before the next attempt (+120s)");
            }
            Observation.RevocationObservation tooOld = e.pass(nc, t0.plus(Duration.ofSeconds(100))).observation();
            assertEquals(Reason.RevocationListTooOld, tooOld.reason(), tooOld.message());
            assertFalse(tooOld.enforced());
            assertTrue(tooOld.message().contains("HTTP 503"), "the cause stays: " + tooOld.message());
            assertTrue(tooOld.message().contains("the list synced at " + t0 + " (2 keys) stays in force, too old since " + tooOldAt
                    + " (maxSyncAgeSeconds 100): nodes revoked in Puppet since " + t0 + " still get in"), tooOld.message());
            for (int s : new int[] {101, 120, 500}) {
                assertEquals(tooOld, e.pass(nc, t0.plus(Duration.ofSeconds(s))).observation(), "at +" + s + "s");
            }
            var figures = e.e().figures("uid-1", nc);
            assertEquals(new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(t0, 2, Duration.ofSeconds(100)), figures,
                    "the metrics get the last sync and the limit");
            puppet.up();
            assertEquals(Reason.RevocationEnforced, e.pass(nc, t0.plus(Duration.ofSeconds(530))).observation().reason(), "recovers");
        } finally {
            puppet.up();
        }
    }

    /** After an operator restart the list read back from the ConfigMap has no known sync time: it is at least as old as the restart. */
    @Test
    void aListReadBackAfterARestartIsTooOldOnceHeldForMaxSyncAge() throws Exception {
        String file = PinnedKeys.none().with(java.util.Set.of(TrustBundle.publicKeyPin(CA.issueClientCertificate("node2.example.net").certPem())))
                .render(NAMES.namespace(), NAMES.cluster());
        ConfigMap written = new ConfigMapBuilder().withNewMetadata().withName("broker-config").withNamespace("choria").endMetadata()
                .addToData(NatsConfig.PINNED_CERTS_FILE, file).build();
        Fixture e = Fixture.of();
        NatsCluster nc = cluster(30); // maxSyncAgeSeconds defaults to 600
        Instant t1 = Instant.now();
        puppet.down();
        try {
            RevocationEnforcement.Outcome first = e.pass("uid-1", nc, identity, written, t1);
            assertEquals(Reason.RevocationStale, first.observation().reason());
            assertTrue(first.observation().message().contains("the last written list (1 keys), synced before this operator started at " + t1
                    + ", stays in force; it becomes too old at " + t1.plus(Duration.ofSeconds(600))), first.observation().message());
            assertEquals(first.observation(), e.pass("uid-1", nc, identity, written, t1.plus(Duration.ofSeconds(599))).observation());
            RevocationEnforcement.Outcome tooOld = e.pass("uid-1", nc, identity, written, t1.plus(Duration.ofSeconds(600)));
            assertEquals(Reason.RevocationListTooOld, tooOld.observation().reason(), tooOld.observation().message());
            assertEquals(new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(null, null, Duration.ofSeconds(600)), e.e().figures("uid-1", nc),
                    "no sync time known, but the limit is served");
        } finally {
            puppet.up();
        }
    }

    /**
     * spec.authorization: the list's entries name each key's user and role, the status counts them, and a changed role
     * pattern cuts the list again at once (no new sync needed); the brokers' own key stays without a user.
     */
    @Test
    void withAuthorizationEachKeyNamesItsUserAndAChangedRolePatternCutsTheListAtOnce() {
        try (PuppetCaStandIn estate = PuppetCaStandIn.start(CA)) {
            estate.addNode("node1.example.net");
            estate.addNode("ops.mcollective");
            Fixture e = Fixture.of();
            NatsCluster nc = cluster(30);
            nc.getSpec().getTls().getPuppet().setUrl(estate.url().toString());
            nc.getSpec().setAuthorization(new io.choria.natsoperator.api.AuthorizationSpec());
            nc = SpecDefaults.withDefaults(nc);
            Instant t = Instant.now();
            RevocationEnforcement.Outcome o = e.pass(nc, t);
            assertEquals(Reason.RevocationEnforced, o.observation().reason(), o.observation().message());
            assertTrue(o.observation().message().contains("as NATS users: 1 nodes, 1 clients, 0 privileged clients"), o.observation().message());
            java.util.Set<String> roles = new java.util.TreeSet<>();
            for (String entry : o.pinned().keys()) roles.add(entry.length() == 64 ? "broker" : entry.split(" ")[1] + " " + entry.split(" ")[2]);
            assertEquals(java.util.Set.of("broker", "n node1.example.net", "c ops.mcollective"), roles);

            // An unchanged list is the same object on the next pass, its parts rendered once (50,000 keys: 3 MB each time).
            RevocationEnforcement.Outcome again = e.pass(nc, t.plusMillis(500));
            org.junit.jupiter.api.Assertions.assertSame(o.pinned(), again.pinned());
            org.junit.jupiter.api.Assertions.assertSame(o.pinned().renderPart(3), again.pinned().renderPart(3));

            nc.getSpec().getAuthorization().setClientCertnames(List.of());
            RevocationEnforcement.Outcome recut = e.pass(nc, t.plusSeconds(1));
            assertTrue(recut.pinned().keys().stream().anyMatch(k -> k.endsWith(" n ops.mcollective")), recut.pinned().keys().toString());
            assertTrue(recut.pinned().epoch() > o.pinned().epoch(), "a new list, so the brokers reload it");
            assertTrue(recut.observation().message().contains("2 nodes, 0 clients"), recut.observation().message());
        }
    }

    /** With no list at all every node is refused: nothing to grow old, so it stays RevocationStale (fail closed). */
    @Test
    void noListMeansFailClosedNotTooOld() {
        Fixture e = Fixture.of();
        NatsCluster nc = cluster(30, 60);
        Instant t = Instant.now();
        puppet.down();
        try {
            assertTrue(e.pass(nc, t).observation().message().contains("fail closed"));
            Observation.RevocationObservation later = e.pass(nc, t.plus(Duration.ofHours(1))).observation();
            assertEquals(Reason.RevocationStale, later.reason(), later.message());
        } finally {
            puppet.up();
        }
    }

    /**
     * An answer past a cap (here certificate_statuses with more rows than a modest cap of 3) is RevocationStale naming the
     * cap, and the last good list stays in force, unchanged.
     */
    @Test
    void anAnswerPastACapIsRevocationStaleNamingItAndTheLastListStays() {
        PuppetCaClient.Limits d = PuppetCaClient.Limits.DEFAULT;
        try (PuppetCaStandIn big = PuppetCaStandIn.start(CA)) {
            big.addNode("node1.example.net");
            Fixture e = Fixture.of(new PuppetCaClient.Limits(d.deadline(), 3, d.maxStatusesBytes(), d.maxCertificateBytes(), d.maxCrlBytes()));
            NatsCluster nc = cluster(30);
            nc.getSpec().getTls().getPuppet().setUrl(big.url().toString());
            Instant t0 = Instant.now();
            RevocationEnforcement.Outcome good = e.pass(nc, t0);
            assertEquals(Reason.RevocationEnforced, good.observation().reason(), good.observation().message());
            big.addNode("node2.example.net");
            big.addNode("node3.example.net");
            big.addNode("node4.example.net");
            RevocationEnforcement.Outcome capped = e.pass(nc, t0.plus(Duration.ofSeconds(30)));
            assertEquals(Reason.RevocationStale, capped.observation().reason());
            assertTrue(capped.observation().message().contains("certificate_statuses lists more than 3 certificates, the operator's cap"),
                    capped.observation().message());
            assertEquals(good.pinned(), capped.pinned(), "the last good list stays in force");
        }
    }

    /**
     * Two clusters on one Puppet CA whose brokers' certificates Puppet treats differently: the one auth.conf refuses gets
     * PuppetInventoryForbidden and not the inventory the other's certificate was allowed to read; the other is enforced. Each
     * certificate is asked with on the first sync; later syncs ask with the allowed one in turn, and again with the refused one.
     */
    @Test
    void aClusterWhoseCertificatePuppetRefusesDoesNotGetTheSharedInventory() throws Exception {
        try (PuppetCaStandIn ca = PuppetCaStandIn.start(CA)) {
            ca.addNode("node1.example.net");
            ca.forbid("refused-broker");
            IssuedCertificate other = CA.load().issue(new ServerCertificateRequest("refused-broker.other.nats-00000000",
                    List.of("refused-broker.other.svc"), TlsSpec.KeyAlgorithm.EC_P256, 30), Instant.now());
            TlsFiles refusedBrokers = new TlsFiles(other.certificateChainPem(), other.privateKeyPem(), CA.certPem());
            Fixture e = Fixture.of();
            NatsCluster nc = cluster(30);
            nc.getSpec().getTls().getPuppet().setUrl(ca.url().toString());
            Instant t0 = Instant.now();
            e.e().pins("uid-ok", NAMES, nc.getSpec(), bundle, identity, n -> null, null, t0, null, () -> {});
            e.e().pins("uid-refused", NAMES, nc.getSpec(), bundle, refusedBrokers, n -> null, null, t0, null, () -> {});
            e.inventory().pollDue(t0);
            assertEquals(2, ca.requests("certificate_statuses"), "each certificate asked with once");
            assertEquals(1, ca.requests("certificate_revocation_list"), "one CRL for both");
            RevocationEnforcement.Outcome ok = e.pass("uid-ok", nc, identity, null, t0);
            RevocationEnforcement.Outcome refused = e.pass("uid-refused", nc, refusedBrokers, null, t0);
            assertEquals(Reason.RevocationEnforced, ok.observation().reason(), ok.observation().message());
            assertEquals(Reason.PuppetInventoryForbidden, refused.observation().reason(), refused.observation().message());
            assertTrue(refused.observation().message().contains("HTTP 403"), refused.observation().message());
            assertEquals(PinnedKeys.none().list(NAMES.namespace(), NAMES.cluster()), refused.pinned(), "no inventory for it");
            e.pass("uid-ok", nc, identity, null, t0.plus(Duration.ofSeconds(30)));
            assertEquals(4, ca.requests("certificate_statuses"), "the next sync: the allowed certificate, and the refused one again");
            assertEquals(1, e.inventory().feeds());
            e.e().retainOnly(java.util.Set.of());
            assertEquals(0, e.inventory().feeds(), "no subscriber left: the feed goes");
            assertTrue(e.inventory().cachedUrls().isEmpty(), "and the certificate cache of its URL");
        }
    }
}
