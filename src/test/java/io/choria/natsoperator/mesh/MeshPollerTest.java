package io.choria.natsoperator.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.SpecDefaults;
import io.choria.natsoperator.testing.Await;
import io.choria.natsoperator.testing.Examples;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The poller beside the reconcile, with scripted probes: what it publishes, when it calls back,
 * how many clusters it asks at once, and that it lets deleted ones go. Progress is awaited by
 * counting probe calls, never by sleeping, before any "nothing happened" assertion.
 */
class MeshPollerTest {
    static final MeshPolling FAST = new MeshPolling(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofMillis(10),
            Duration.ofSeconds(30), 2);
    static final Duration WAIT = Duration.ofSeconds(20);
    static final MeshObservation INCOMPLETE = new MeshObservation(false, Reason.RoutesIncomplete, "broker-2 sees 0 of 2 peers");
    static final MeshObservation MESHED = new MeshObservation(true, Reason.FullMesh, "each of the 3 brokers sees 2 peers");

    private MeshPoller poller;
    private final AtomicInteger announced = new AtomicInteger();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

    @AfterEach
    void close() {
        if (poller != null) poller.close();
    }

    static NatsCluster cluster(String ns, int size) {
        NatsCluster nc = SpecDefaults.withDefaults(Examples.toApply(Examples.THREE_BROKERS, ns, "broker"));
        nc.getSpec().setSize(size);
        nc.getMetadata().setUid("uid-" + ns);
        return nc;
    }

    private MeshPoller start(MeshPolling polling, Function<NatsCluster, MeshObservation> probe) {
        poller = new MeshPoller(nc -> {
            calls.computeIfAbsent(nc.getMetadata().getNamespace(), k -> new AtomicInteger()).incrementAndGet();
            return probe.apply(nc);
        }, polling, Clock.systemUTC(), (nc, m) -> m == null ? null : java.util.Arrays.asList(m.meshed(), m.reason(), m.message()),
                nc -> announced.incrementAndGet());
        return poller;
    }

    private int calls(String ns) {
        return calls.getOrDefault(ns, new AtomicInteger()).get();
    }

    /** Waits until the probe has asked {@code ns} {@code n} more times: the poller has certainly looked again. */
    private void awaitMorePolls(String ns, int n) {
        int target = calls(ns) + n;
        Await.until(n + " more polls of " + ns, WAIT, () -> calls(ns), c -> c >= target);
    }

    @Test
    void aChangedVerdictCallsBackOnceAndAnUnchangedOneNever() {
        AtomicReference<MeshObservation> brokers = new AtomicReference<>(INCOMPLETE);
        start(FAST, nc -> brokers.get());
        NatsCluster nc = cluster("a", 3);
        assertEquals(Optional.empty(), poller.watch("uid-a", nc, false), "nothing seen before the first poll");
        Await.until("first observation announced", WAIT, announced::get, n -> n == 1);
        assertEquals(INCOMPLETE, poller.watch("uid-a", nc, false).orElseThrow().observation());

        awaitMorePolls("a", 10);
        assertEquals(1, announced.get(), "ten polls that saw the same: no call back");

        brokers.set(new MeshObservation(false, Reason.BrokerUnreachable, "broker-1 did not answer /varz: connection refused"));
        Await.until("the change announced", WAIT, announced::get, n -> n >= 2);
        awaitMorePolls("a", 10);
        assertEquals(2, announced.get(), "one change, one call back");
        assertEquals(Reason.BrokerUnreachable, poller.watch("uid-a", nc, false).orElseThrow().observation().reason());
    }

    @Test
    void aFlickeringFullMeshIsNeverPublishedAndASteadyOneIs() {
        AtomicInteger n = new AtomicInteger();
        AtomicReference<Boolean> flicker = new AtomicReference<>(true);
        start(FAST, nc -> flicker.get() && n.incrementAndGet() % 2 == 0 ? INCOMPLETE : MESHED);
        NatsCluster nc = cluster("f", 3);
        poller.watch("uid-f", nc, false);
        awaitMorePolls("f", 20);
        assertEquals(1, announced.get(), "only the incomplete mesh was published, once");
        assertFalse(poller.watch("uid-f", nc, false).orElseThrow().observation().meshed());

        flicker.set(false);
        Await.until("a steady full mesh published", WAIT, () -> poller.watch("uid-f", nc, false).orElseThrow().observation().meshed(), m -> m);
        assertEquals(2, announced.get());
    }

    @Test
    void aSingleBrokerNeedsNoSecondLook() {
        start(new MeshPolling(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ofMinutes(10), 1), nc -> MESHED);
        poller.watch("uid-one", cluster("one", 1), false);
        Await.until("published after one poll", WAIT, announced::get, n -> n == 1);
        assertEquals(1, calls("one"));
    }

    @Test
    void neverMoreClustersAtOnceThanItsThreads() {
        Semaphore answers = new Semaphore(0);
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        start(FAST, nc -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            answers.acquireUninterruptibly();
            inFlight.decrementAndGet();
            return INCOMPLETE;
        });
        for (String ns : Set.of("c1", "c2", "c3", "c4", "c5")) {
            assertEquals(Optional.empty(), poller.watch("uid-" + ns, cluster(ns, 3), false), "watch does not wait for the brokers");
        }
        Await.until("two polls hanging", WAIT, inFlight::get, i -> i == 2);
        // one answer at a time: each frees a thread for the next cluster, until all five have been asked
        Await.until("every cluster asked", WAIT, () -> {
            if (answers.availablePermits() == 0) answers.release();
            return Set.of("c1", "c2", "c3", "c4", "c5").stream().allMatch(ns -> calls(ns) > 0);
        }, all -> all);
        answers.release(1000);
        assertEquals(2, most.get(), "at most the poller's two threads asked at once");
    }

    /**
     * More dead clusters than the threads can ask within staleAfter: the limit grows to the unanswered interval plus two
     * rounds of them all at one monitoring deadline each, so their status does not flip to "too old" on every resync.
     */
    @Test
    void theAgeLimitGrowsWithTheClustersThreadsMustAsk() {
        MeshPolling defaults = MeshPolling.DEFAULTS;
        start(defaults, nc -> null);
        assertEquals(Duration.ofSeconds(60), poller.staleAfter(), "no cluster: the configured limit");
        for (int i = 0; i < 16 * 8; i++) poller.watch("uid-" + i, cluster("few-" + i, 3), false);
        // 8 rounds of 16 at 2 s: 30 s + 2 x 16 s = 62 s, just past the 60 s
        assertEquals(Duration.ofSeconds(62), poller.staleAfter());
        for (int i = 16 * 8; i < 501; i++) poller.watch("uid-" + i, cluster("many-" + i, 3), false);
        assertEquals(Duration.ofSeconds(30 + 2 * 32 * 2), poller.staleAfter(), "501 clusters: 32 rounds");
        poller.retainOnly(Set.of("uid-0"));
        assertEquals(Duration.ofSeconds(60), poller.staleAfter(), "back to the configured limit once they are gone");
    }

    @Test
    void deletedClustersAreNoLongerAsked() {
        start(FAST, nc -> INCOMPLETE);
        poller.watch("uid-gone", cluster("gone", 3), false);
        poller.watch("uid-kept", cluster("kept", 3), false);
        awaitMorePolls("gone", 2);
        poller.retainOnly(Set.of("uid-kept"));
        assertEquals(1, poller.size());
        awaitMorePolls("kept", 5); // a poll of "gone" under way when it was dropped has ended by now
        int after = calls("gone");
        awaitMorePolls("kept", 5);
        assertEquals(after, calls("gone"), "the deleted cluster is not asked again");

        poller.forget("uid-kept");
        assertEquals(0, poller.size());
    }

    @Test
    void aChangedSpecIsNotReportedWithTheOldObservation() {
        start(new MeshPolling(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMillis(10),
                Duration.ofMinutes(10), 1),
                nc -> new MeshObservation(false, Reason.RoutesIncomplete, "size " + nc.getSpec().getSize()));
        poller.watch("uid-s", cluster("s", 3), false);
        Await.until("size 3 seen", WAIT, announced::get, n -> n == 1);
        assertEquals(Optional.empty(), poller.watch("uid-s", cluster("s", 5), false), "nothing seen yet of the five");
        Await.until("size 5 seen", WAIT, () -> poller.watch("uid-s", cluster("s", 5), false),
                s -> s.isPresent() && s.get().observation().message().equals("size 5"));
    }

    @Test
    void brokersThatKeepNotAnsweringAreAskedLessOften() {
        var answered = new MeshChecker.BrokerView("broker-1", 1, null, null, new MonitorClient.Varz("broker-1", 1, 1, 0, 1, null));
        start(new MeshPolling(Duration.ofMillis(20), Duration.ofMinutes(5), Duration.ofMillis(20), Duration.ofMillis(10),
                Duration.ofMinutes(10), 2), nc -> "dead".equals(nc.getMetadata().getNamespace())
                        ? new MeshObservation(false, Reason.BrokerUnreachable, "broker-0 did not answer /varz: connection refused")
                        : new MeshObservation(false, Reason.BrokerUnreachable, "broker-0 did not answer /varz: connection refused", null,
                                List.of(answered)));
        poller.watch("uid-dead", cluster("dead", 3), false);
        poller.watch("uid-half", cluster("half", 3), false);
        // the first answer, announced, is looked at again soon: a change may be under way
        Await.until("two polls of dead", WAIT, () -> calls("dead"), c -> c >= 2);
        awaitMorePolls("half", 20);
        assertEquals(2, calls("dead"), "the same silence is asked again after 'unanswered', not 'settled'");
    }

    /** A reconcile that sees the brokers change (a rollout, the ready count) has them asked soon, not at the settled interval. */
    @Test
    void aChangeSeenByTheReconcileIsLookedAtSoon() {
        start(new MeshPolling(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMillis(20), Duration.ofMillis(10),
                Duration.ofMinutes(10), 1), nc -> INCOMPLETE);
        NatsCluster nc = cluster("roll", 3);
        poller.watch("uid-roll", nc, false);
        Await.until("the first answer and the look after it", WAIT, () -> calls("roll"), c -> c >= 2);
        poller.watch("uid-roll", nc, true);
        Await.until("asked again within moments", WAIT, () -> calls("roll"), c -> c >= 3);
    }

    /** A probe or a verdict that throws once does not end the cluster's polling. */
    @Test
    void aPollThatThrowsIsTriedAgain() {
        AtomicInteger verdicts = new AtomicInteger();
        poller = new MeshPoller(nc -> {
            if (calls.computeIfAbsent("t", k -> new AtomicInteger()).incrementAndGet() == 1) throw new IllegalStateException("probe");
            return INCOMPLETE;
        }, FAST, Clock.systemUTC(), (nc, m) -> {
            if (verdicts.incrementAndGet() == 1) throw new IllegalStateException("verdict");
            return m.reason();
        }, nc -> announced.incrementAndGet());
        poller.watch("uid-t", cluster("t", 3), false);
        Await.until("published after a failed probe and a failed verdict", WAIT, announced::get, n -> n == 1);
        assertTrue(calls("t") >= 3, "the failed probe, the failed verdict, then the published poll");
    }
}
