package io.choria.natsoperator.puppet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.TlsSpec;
import io.choria.natsoperator.pki.CertificateInfo;
import io.choria.natsoperator.pki.CertificateSigningRequests;
import io.choria.natsoperator.pki.TestCa;
import io.choria.natsoperator.pki.TrustBundle;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.MutableClock;
import io.choria.natsoperator.testing.PuppetCaStandIn;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Enrolment's calls to the Puppet CA, beside the reconcile, against the Puppet CA stand-in. The manual poller runs
 * only when a test calls {@code pollDue}, with a clock that moves only when the test moves it, so every request the
 * stand-in counts is one the test caused.
 */
class EnrolmentPollerTest {
    static final TestCa CA = TestCa.ecRoot("Puppet CA: enrolment stand-in");
    static final TrustBundle BUNDLE = bundle(CA);
    final MutableClock clock = new MutableClock(Instant.now());
    final AtomicInteger changes = new AtomicInteger();
    PuppetCaStandIn puppet;
    EnrolmentPoller poller;

    @BeforeEach
    void start() {
        puppet = PuppetCaStandIn.start(CA);
        poller = EnrolmentPoller.manual(clock, PuppetCaClient.Limits.DEFAULT);
    }

    @AfterEach
    void stop() {
        poller.close();
        puppet.close();
    }

    static TrustBundle bundle(TestCa ca) {
        try {
            return TrustBundle.parse(ca.certPem());
        } catch (io.choria.natsoperator.pki.PkiException e) {
            throw new IllegalStateException(e);
        }
    }

    static EnrolmentPoller.Request request(PuppetCaStandIn ca, String certname) {
        try {
            KeyPair keys = CertificateSigningRequests.newKeyPair(TlsSpec.KeyAlgorithm.EC_P256);
            return new EnrolmentPoller.Request(ca.url(), BUNDLE, certname,
                    CertificateSigningRequests.csrPem(keys, certname, List.of("broker.choria.svc"), Optional.empty()));
        } catch (io.choria.natsoperator.pki.PkiException e) {
            throw new IllegalStateException(e);
        }
    }

    Optional<EnrolmentPoller.Answer> latest(String uid, EnrolmentPoller.Request r) {
        return poller.latest(uid, r, changes::incrementAndGet);
    }

    @Test
    void submitsTheRequestTheCaLacksAndCollectsTheCertificateItSigns() throws Exception {
        EnrolmentPoller.Request r = request(puppet, "broker.choria.nats-00000001");
        assertEquals(Optional.empty(), latest("uid-1", r), "no answer before the first poll");
        assertEquals(0, puppet.requests(), "handing over a request asks nothing on the caller's thread");
        poller.pollDue();
        EnrolmentPoller.Answer a = latest("uid-1", r).orElseThrow();
        assertEquals(EnrolmentPoller.State.SIGNED, a.state());
        assertTrue(CertificateInfo.parse(a.certificatePem()).subjectAltNames().contains("broker.choria.svc"));
        assertEquals(clock.instant(), a.at());
        assertEquals(1, changes.get(), "the first answer calls back");
        assertEquals(2, puppet.requests("certificate_request/"), "GET (not pending), then PUT");
        assertEquals(2, puppet.certificateFetches(), "before and after the submission");
    }

    @Test
    void aPendingRequestIsAskedAgainOnTheScheduleSubmittedOnceAndCallsBackWhenSigned() {
        puppet.autosign(false);
        EnrolmentPoller.Request r = request(puppet, "broker.choria.nats-00000002");
        latest("uid-2", r);
        poller.pollDue();
        assertEquals(EnrolmentPoller.State.PENDING, latest("uid-2", r).orElseThrow().state());
        assertEquals(Set.of(r.certname()), puppet.pending());
        int asked = puppet.requests();
        poller.pollDue();
        assertEquals(asked, puppet.requests(), "not due again before its retry");
        clock.advance(EnrolmentPoller.RETRIES.get(0));
        poller.pollDue();
        assertTrue(puppet.requests() > asked, "asked again after the first retry interval");
        assertEquals(1, changes.get(), "pending twice is one change");
        // PUT once: later polls see the request pending and do not submit it again.
        assertEquals(3, puppet.requests("certificate_request/"), "GET, PUT, GET");

        puppet.sign(r.certname());
        clock.advance(EnrolmentPoller.RETRIES.get(1));
        poller.pollDue();
        assertEquals(EnrolmentPoller.State.SIGNED, latest("uid-2", r).orElseThrow().state());
        assertEquals(2, changes.get(), "signed calls back");
        // Until the reconcile forgets the request, it is asked again: sooner at first, then every 15 s.
        List<Long> gaps = new java.util.ArrayList<>();
        Instant last = clock.instant();
        for (int s = 0; s < 60; s++) {
            int before = puppet.requests();
            clock.advance(Duration.ofSeconds(1));
            poller.pollDue();
            if (puppet.requests() > before) {
                gaps.add(Duration.between(last, clock.instant()).toSeconds());
                last = clock.instant();
            }
        }
        assertEquals(List.of(4L, 8L, 15L, 15L), gaps.subList(0, 4), gaps.toString());
    }

    @Test
    void refusalsAndOutagesAreAnswersWithTheirWords() {
        EnrolmentPoller.Request refused = request(puppet, "broker.choria.nats-00000003");
        puppet.refuseRequests("broker.choria.nats-00000003 already has a revoked certificate; ignoring certificate request");
        latest("uid-3", refused);
        poller.pollDue();
        EnrolmentPoller.Answer a = latest("uid-3", refused).orElseThrow();
        assertEquals(EnrolmentPoller.State.REFUSED, a.state());
        assertTrue(a.message().contains("already has a revoked certificate"), a.message());

        puppet.refuseRequests(null);
        puppet.down();
        clock.advance(Duration.ofMinutes(1));
        poller.pollDue();
        a = latest("uid-3", refused).orElseThrow();
        assertEquals(EnrolmentPoller.State.UNREACHABLE, a.state());
        assertTrue(a.message().contains("503"), a.message());
        assertEquals(2, changes.get());

        EnrolmentPoller.Request wrongBundle = new EnrolmentPoller.Request(puppet.url(),
                bundle(TestCa.ecRoot("another CA")), "broker.choria.nats-00000004", refused.csrPem());
        latest("uid-4", wrongBundle);
        poller.pollDue();
        a = latest("uid-4", wrongBundle).orElseThrow();
        assertEquals(EnrolmentPoller.State.UNREACHABLE, a.state(), "a CA the bundle does not vouch for is not believed");
    }

    @Test
    void aChangedRequestReplacesTheOldJobAndForgottenClustersAreDropped() {
        EnrolmentPoller.Request first = request(puppet, "broker.choria.nats-0000000a");
        EnrolmentPoller.Request second = request(puppet, "broker.choria.nats-0000000b");
        latest("uid-5", first);
        latest("uid-5", second);
        latest("uid-6", request(puppet, "broker.choria.nats-0000000c"));
        assertEquals(2, poller.jobs());
        poller.pollDue();
        assertEquals(0, puppet.requests("certificate/" + first.certname()), "the replaced request is not asked");
        assertEquals(2, puppet.requests("certificate/" + second.certname()));
        assertEquals(1, poller.clients(), "one client for one URL and bundle");

        poller.retainOnly(Set.of("uid-6"));
        assertEquals(1, poller.jobs());
        poller.forget("uid-6");
        assertEquals(0, poller.jobs());
        assertEquals(0, poller.clients(), "no client is kept for a URL no job names");
        int asked = puppet.requests();
        clock.advance(Duration.ofMinutes(5));
        poller.pollDue();
        assertEquals(asked, puppet.requests(), "forgotten clusters are asked nothing");
    }

    /**
     * With its own threads: a Puppet CA that takes the call and never answers holds one worker for its URL (one call
     * per cluster and per URL at a time), the call is cut at the client's deadline, and meanwhile another cluster's
     * request to another CA is answered.
     */
    @Test
    void aCaThatNeverAnswersHoldsOneCallAndIsCutAtTheDeadline() throws Exception {
        try (PuppetCaStandIn held = PuppetCaStandIn.start(CA);
                EnrolmentPoller threaded = new EnrolmentPoller(Clock.systemUTC(), new PuppetCaClient.Limits(Duration.ofSeconds(2), 100, 1 << 20,
                        64 << 10, 1 << 20), 4, true)) {
            held.hold("certificate/");
            EnrolmentPoller.Request a = request(held, "broker.a.nats-00000001");
            EnrolmentPoller.Request b = request(held, "broker.b.nats-00000001");
            threaded.latest("uid-a", a, () -> {});
            threaded.latest("uid-b", b, () -> {});
            Await.until("the held CA is asked", Duration.ofSeconds(10), held::holding, n -> n > 0);
            EnrolmentPoller.Request c = request(puppet, "broker.c.nats-00000001");
            AtomicInteger cChanged = new AtomicInteger();
            threaded.latest("uid-c", c, cChanged::incrementAndGet);
            Await.until("the other CA's answer", Duration.ofSeconds(10), cChanged::get, n -> n > 0);
            assertEquals(EnrolmentPoller.State.SIGNED, threaded.latest("uid-c", c, () -> {}).orElseThrow().state());
            assertEquals(1, held.requests(), "one call at a time to one URL");
            assertTrue(threaded.latest("uid-a", a, () -> {}).isEmpty() || threaded.latest("uid-b", b, () -> {}).isEmpty());

            EnrolmentPoller.Answer cut = Await.until("a held call cut at the deadline", Duration.ofSeconds(10),
                    () -> threaded.latest("uid-a", a, () -> {}).or(() -> threaded.latest("uid-b", b, () -> {})), Optional::isPresent).orElseThrow();
            assertEquals(EnrolmentPoller.State.UNREACHABLE, cut.state());
            assertTrue(cut.message().contains("within 2s"), cut.message());
        }
    }
}
