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
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.IssuedCertificate;
import io.choria.natsoperator.pki.ServerCertificateRequest;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.testing.Examples;
import io.choria.natsoperator.testing.PuppetCaStandIn;
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
        NatsCluster nc = Examples.load(Examples.ONE_BROKER);
        TlsSpec tls = new TlsSpec();
        PuppetEnrolmentSpec p = new PuppetEnrolmentSpec();
        p.setUrl(puppet.url().toString());
        p.setCaBundleSecretRef(new SecretKeyReference("puppet-ca-bundle", "ca.crt"));
        p.setSyncIntervalSeconds(syncIntervalSeconds);
        tls.setPuppet(p);
        nc.getSpec().setTls(tls);
        return SpecDefaults.withDefaults(nc);
    }

    static RevocationEnforcement.Outcome pass(RevocationEnforcement e, NatsCluster nc, Instant now) {
        return e.pins("uid-1", NAMES, nc.getSpec(), bundle, identity, null, now);
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
}
