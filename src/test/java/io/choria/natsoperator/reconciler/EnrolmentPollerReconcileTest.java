package io.choria.natsoperator.reconciler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.model.BrokerSecrets;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.status.Conditions;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.MockCluster;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Secret;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Enrolment asks the Puppet CA beside the reconcile, through the real reconciler on the mock API server with Puppet CA
 * stand-ins: a CA that takes the call and never answers holds no reconcile (before, the reconcile waited on it for the
 * client's deadline, on every pass until the certificate was signed), and the answers still lead where they did: an
 * autosigning CA to a served certificate with no user action, a pending request to the {@code puppetserver ca sign}
 * hint and, once signed, the certificate; a refusal and an outage to their conditions.
 */
class EnrolmentPollerReconcileTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: enrolment poller stand-in");
    static PuppetCaStandIn held;
    static PuppetCaStandIn autosigning;
    static PuppetCaStandIn manual;
    static PuppetCaStandIn refusing;
    static MockCluster cluster;

    @BeforeAll
    static void start() {
        held = PuppetCaStandIn.start(CA);
        autosigning = PuppetCaStandIn.start(CA);
        manual = PuppetCaStandIn.start(CA);
        manual.autosign(false);
        refusing = PuppetCaStandIn.start(CA);
        // A resync far away: every reconcile here follows an event (a spec change, a child, a Puppet CA answer).
        cluster = new MockCluster().startOperator(Duration.ofMinutes(10));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
        for (PuppetCaStandIn p : new PuppetCaStandIn[] {held, autosigning, manual, refusing}) if (p != null) p.close();
    }

    static NatsCluster create(String ns, PuppetCaStandIn puppet) {
        return cluster.client.resource(cluster.enrolled(ns, "broker", CA, puppet.url())).create();
    }

    static NatsCluster get(String ns) {
        return cluster.client.resources(NatsCluster.class).inNamespace(ns).withName("broker").get();
    }

    static Condition certificateReady(String ns) {
        NatsCluster nc = get(ns);
        return nc == null || nc.getStatus() == null ? null
                : Conditions.find(nc.getStatus().getConditions(), Conditions.CERTIFICATE_READY).orElse(null);
    }

    static Long observedGeneration(String ns) {
        NatsCluster nc = get(ns);
        return nc == null || nc.getStatus() == null ? null : nc.getStatus().getObservedGeneration();
    }

    static String certname(String ns) {
        Secret request = cluster.client.secrets().inNamespace(ns).withName("broker-tls-request").get();
        assertNotNull(request, "the key and CSR are kept in the cluster");
        return BrokerSecrets.decode(request, "certname");
    }

    static List<String> events(String ns, String reason) {
        return cluster.client.v1().events().inNamespace(ns).list().getItems().stream().filter(e -> reason.equals(e.getReason()))
                .map(e -> e.getMessage()).toList();
    }

    static Condition awaitServed(String ns, Duration within) {
        return Await.until(ns + ": CertificateReady=True", within, () -> certificateReady(ns), c -> c != null && "True".equals(c.getStatus()));
    }

    /**
     * The CA takes the call and never answers (the client cuts it at its 10 s deadline). The first reconcile writes its
     * status at once (AwaitingSigning, saying the CA is being asked), and a spec change is reconciled, both while the
     * first call is still held. Before, the reconcile held its thread and the status on that call until the deadline,
     * then wrote PuppetCAUnreachable. Once the CA answers, its answer reconciles the cluster to a served certificate.
     */
    @Test
    void aPuppetCaThatNeverAnswersHoldsNoReconcile() throws Exception {
        String ns = "enrol-held";
        held.hold("certificate/");
        NatsCluster nc = create(ns, held);
        long gen = nc.getMetadata().getGeneration();
        // Well within the client's 10 s deadline for the call it holds (status and spec change below).
        Condition asking = Await.until("AwaitingSigning, written while the CA holds the call", Duration.ofSeconds(6), () -> certificateReady(ns),
                c -> c != null && "AwaitingSigning".equals(c.getReason()));
        String certname = certname(ns);
        assertEquals("False", asking.getStatus());
        assertTrue(asking.getMessage().startsWith("asking the Puppet CA at " + held.url() + " about certificate request '" + certname + "'"),
                asking.getMessage());
        assertTrue(asking.getMessage().contains("puppetserver ca sign --certname " + certname), asking.getMessage());
        assertEquals(gen, observedGeneration(ns));
        assertTrue(events(ns, "AwaitingSigning").stream().anyMatch(m -> m.contains(certname)), events(ns, "AwaitingSigning").toString());

        Await.retryingConflicts("edited", () -> cluster.client.resources(NatsCluster.class).inNamespace(ns).withName("broker")
                .edit(x -> { x.getSpec().getTls().getPuppet().setSyncIntervalSeconds(45); return x; }));
        Await.until("the spec change reconciled while the CA holds the call", Duration.ofSeconds(3), () -> observedGeneration(ns),
                g -> g != null && g > gen);
        assertEquals(1, held.holding(), "the CA still holds the first call");
        assertEquals(1, held.requests(), "and it is the only call: one at a time, none cut by the deadline yet");
        assertEquals("AwaitingSigning", certificateReady(ns).getReason());
        assertNull(cluster.client.apps().statefulSets().inNamespace(ns).withName("broker").get(), "no brokers before a certificate");

        held.release();
        Condition ready = awaitServed(ns, Duration.ofSeconds(12));
        assertEquals("CertificateValid", ready.getReason());
        assertEquals(1, events(ns, "CertificateSigned").size(), events(ns, "CertificateSigned").toString());
    }

    /** Autosign: the certificate is served with no user action, checked and named as it was. */
    @Test
    void anAutosigningPuppetCaLeadsToAServedCertificate() throws Exception {
        String ns = "enrol-autosign";
        create(ns, autosigning);
        awaitServed(ns, Duration.ofSeconds(30));
        Await.until("the request Secret is removed once signed", Duration.ofSeconds(30),
                () -> cluster.client.secrets().inNamespace(ns).withName("broker-tls-request").get() == null, gone -> gone);
        Secret tls = Await.present("broker-tls", () -> cluster.client.secrets().inNamespace(ns).withName("broker-tls").get());
        CertificateInfo info = CertificateInfo.parse(BrokerSecrets.decode(tls, "tls.crt"));
        assertTrue(info.subjectAltNames().contains("broker." + ns + ".svc.cluster.local"), info.subjectAltNames().toString());
        assertNotNull(Await.present("StatefulSet", () -> cluster.client.apps().statefulSets().inNamespace(ns).withName("broker").get()));
        List<String> signed = events(ns, "CertificateSigned");
        assertEquals(1, signed.size(), signed.toString());
        assertTrue(signed.get(0).contains(info.serialHex()), signed.get(0));
    }

    /** Autosign off: the request waits with the sign hint; once an admin signs it, the poller's answer serves it. */
    @Test
    void aPendingRequestWaitsForTheAdminThenIsServed() {
        String ns = "enrol-manual";
        create(ns, manual);
        Condition waiting = Await.until("AwaitingSigning: waiting", Duration.ofSeconds(30), () -> certificateReady(ns),
                c -> c != null && c.getMessage().startsWith("waiting for the Puppet CA"));
        String certname = certname(ns);
        assertEquals("AwaitingSigning", waiting.getReason());
        assertTrue(waiting.getMessage().contains("puppetserver ca sign --certname " + certname), waiting.getMessage());
        assertEquals(java.util.Set.of(certname), manual.pending());
        manual.sign(certname);
        assertEquals("CertificateValid", awaitServed(ns, Duration.ofSeconds(30)).getReason());
    }

    /** A refused CSR and a CA that answers 503 give their conditions, with Puppet's words, as before. */
    @Test
    void aRefusalAndAnOutageGiveTheirConditions() {
        refusing.refuseRequests("broker.enrol-refused has a revoked certificate; ignoring certificate request");
        create("enrol-refused", refusing);
        Condition refused = Await.until("CertificateRequestRefused", Duration.ofSeconds(30), () -> certificateReady("enrol-refused"),
                c -> c != null && "CertificateRequestRefused".equals(c.getReason()));
        assertTrue(refused.getMessage().contains("has a revoked certificate"), refused.getMessage());
        assertTrue(events("enrol-refused", "CertificateRequestRefused").size() >= 1);

        refusing.refuseRequests(null);
        refusing.down();
        Condition down = Await.until("PuppetCAUnreachable", Duration.ofSeconds(30), () -> certificateReady("enrol-refused"),
                c -> c != null && "PuppetCAUnreachable".equals(c.getReason()));
        assertTrue(down.getMessage().contains("503"), down.getMessage());
        refusing.up();
        assertEquals("CertificateValid", awaitServed("enrol-refused", Duration.ofSeconds(30)).getReason());
    }
}
