package io.choria.natsoperator.reconciler;

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
 * each pass: what it says while Puppet is down, and when it asks Puppet again.
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

    static RevocationEnforcement.Outcome pass(RevocationEnforcement e, NatsCluster nc, Instant now) {
        return pass(e, nc, null, now);
    }

    static RevocationEnforcement.Outcome pass(RevocationEnforcement e, NatsCluster nc, ConfigMap liveConfig, Instant now) {
        return e.pins("uid-1", NAMES, nc.getSpec(), bundle, identity, liveConfig, null, now);
    }

    @Test
    void whilePuppetIsDownItIsAskedOncePerSyncIntervalNotOnEveryReconcile() {
        RevocationEnforcement e = new RevocationEnforcement();
        NatsCluster nc = cluster(30);
        Instant t0 = Instant.now();
        puppet.up();
        try {
            assertEquals(Reason.RevocationEnforced, pass(e, nc, t0).observation().reason());
            puppet.down();
            RevocationEnforcement.Outcome failed = pass(e, nc, t0.plus(Duration.ofSeconds(30)));
            assertEquals(Reason.RevocationStale, failed.observation().reason());
            assertEquals(t0.plus(Duration.ofSeconds(60)), failed.wakeAt(), "the next attempt, one interval after the failed one");
            int asked = puppet.requests();
            // reconciles for other reasons (events, the resync) in between: Puppet is not asked again
            for (int s : new int[] {31, 40, 59}) {
                RevocationEnforcement.Outcome o = pass(e, nc, t0.plus(Duration.ofSeconds(s)));
                assertEquals(Reason.RevocationStale, o.observation().reason());
                assertEquals(t0.plus(Duration.ofSeconds(60)), o.wakeAt(), "at +" + s + "s");
            }
            assertEquals(asked, puppet.requests(), "no request to Puppet before the next attempt is due");
            pass(e, nc, t0.plus(Duration.ofSeconds(60)));
            assertTrue(puppet.requests() > asked, "asked again one interval after the failed attempt");
            puppet.up();
            assertEquals(Reason.RevocationEnforced, pass(e, nc, t0.plus(Duration.ofSeconds(90))).observation().reason(), "recovers");
            assertFalse(pass(e, nc, t0.plus(Duration.ofSeconds(91))).wakeAt().isBefore(t0.plus(Duration.ofSeconds(120))));
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
        RevocationEnforcement e = new RevocationEnforcement();
        NatsCluster nc = cluster(30, 100);
        Instant t0 = Instant.now();
        puppet.up();
        try {
            assertEquals(Reason.RevocationEnforced, pass(e, nc, t0).observation().reason());
            puppet.down();
            Observation.RevocationObservation stale = pass(e, nc, t0.plus(Duration.ofSeconds(30))).observation();
            assertEquals(Reason.RevocationStale, stale.reason());
            assertFalse(stale.enforced());
            String tooOldAt = t0.plus(Duration.ofSeconds(100)).toString();
            assertTrue(stale.message().contains("HTTP 503"), "the cause: " + stale.message());
            assertTrue(stale.message().contains("the list synced at " + t0 + " (2 keys) stays in force; it becomes too old at " + tooOldAt
                    + " (maxSyncAgeSeconds 100)"), stale.message());
            for (int s : new int[] {31, 59, 60, 89, 90, 99}) {
                RevocationEnforcement.Outcome o = pass(e, nc, t0.plus(Duration.ofSeconds(s)));
                assertEquals(stale, o.observation(), "at +" + s + "s the status would be rewritten");
                if (s >= 90) assertEquals(t0.plus(Duration.ofSeconds(100)), o.wakeAt(), "woken at the limit, before the next attempt (+120s)");
            }
            Observation.RevocationObservation tooOld = pass(e, nc, t0.plus(Duration.ofSeconds(100))).observation();
            assertEquals(Reason.RevocationListTooOld, tooOld.reason(), tooOld.message());
            assertFalse(tooOld.enforced());
            assertTrue(tooOld.message().contains("HTTP 503"), "the cause stays: " + tooOld.message());
            assertTrue(tooOld.message().contains("the list synced at " + t0 + " (2 keys) stays in force, too old since " + tooOldAt
                    + " (maxSyncAgeSeconds 100): nodes revoked in Puppet since " + t0 + " still get in"), tooOld.message());
            for (int s : new int[] {101, 120, 500}) {
                assertEquals(tooOld, pass(e, nc, t0.plus(Duration.ofSeconds(s))).observation(), "at +" + s + "s");
            }
            var figures = e.figures("uid-1", nc);
            assertEquals(new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(t0, 2, Duration.ofSeconds(100)), figures,
                    "the metrics get the last sync and the limit");
            puppet.up();
            assertEquals(Reason.RevocationEnforced, pass(e, nc, t0.plus(Duration.ofSeconds(530))).observation().reason(), "recovers");
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
        RevocationEnforcement e = new RevocationEnforcement();
        NatsCluster nc = cluster(30); // maxSyncAgeSeconds defaults to 600
        Instant t1 = Instant.now();
        puppet.down();
        try {
            RevocationEnforcement.Outcome first = pass(e, nc, written, t1);
            assertEquals(Reason.RevocationStale, first.observation().reason());
            assertTrue(first.observation().message().contains("the last written list (1 keys), synced before this operator started at " + t1
                    + ", stays in force; it becomes too old at " + t1.plus(Duration.ofSeconds(600))), first.observation().message());
            assertEquals(first.observation(), pass(e, nc, written, t1.plus(Duration.ofSeconds(599))).observation());
            RevocationEnforcement.Outcome tooOld = pass(e, nc, written, t1.plus(Duration.ofSeconds(600)));
            assertEquals(Reason.RevocationListTooOld, tooOld.observation().reason(), tooOld.observation().message());
            assertEquals(new io.choria.natsoperator.metrics.ClusterSnapshot.Revocation(null, null, Duration.ofSeconds(600)), e.figures("uid-1", nc),
                    "no sync time known, but the limit is served");
        } finally {
            puppet.up();
        }
    }

    /** With no list at all every node is refused: nothing to grow old, so it stays RevocationStale (fail closed). */
    @Test
    void noListMeansFailClosedNotTooOld() {
        RevocationEnforcement e = new RevocationEnforcement();
        NatsCluster nc = cluster(30, 60);
        Instant t = Instant.now();
        puppet.down();
        try {
            assertTrue(pass(e, nc, t).observation().message().contains("fail closed"));
            Observation.RevocationObservation later = pass(e, nc, t.plus(Duration.ofHours(1))).observation();
            assertEquals(Reason.RevocationStale, later.reason(), later.message());
        } finally {
            puppet.up();
        }
    }
}
