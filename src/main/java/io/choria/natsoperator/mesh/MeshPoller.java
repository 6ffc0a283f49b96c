package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks each cluster's brokers beside the reconcile, so that brokers which do not answer hold a
 * poller thread (at most {@link MeshPolling#concurrency} of them, each bounded by the
 * {@link MonitorClient} deadlines), never a reconciler thread. The reconcile names what to poll
 * ({@link #watch}) and reads the latest observation with its time; the poller calls back
 * ({@code changed}) only when a poll's verdict differs from the one it last published, so a
 * settled fleet costs no reconcile.
 *
 * <p>A full mesh is published only when the poll before agreed (a second look, {@code confirm}
 * later): nats-server counts a peer in {@code remotes} as soon as its INFO arrives, before the route
 * is authorized, so a peer with a wrong route password flickers in and out. Anything short of a
 * full mesh is published at once.
 *
 * <p>Clusters are keyed by uid; {@link #forget} and {@link #retainOnly} stop polling those deleted.
 */
public final class MeshPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MeshPoller.class);
    private static final KubernetesSerialization JSON = new KubernetesSerialization();

    /** An observation and when the poll that made it ended; {@code observation} is null when the probe declined to look. */
    public record Seen(MeshObservation observation, Instant at) {
        public Duration age(Instant now) {
            return Duration.between(at, now);
        }
    }

    private final MeshProbe probe;
    private final MeshPolling polling;
    private final Clock clock;
    private final BiFunction<NatsCluster, MeshObservation, Object> verdict;
    private final Consumer<NatsCluster> changed;
    private final ScheduledThreadPoolExecutor pool;
    private final Map<String, Entry> clusters = new ConcurrentHashMap<>();

    /**
     * @param verdict what of an observation the status is made of (equal verdicts: nothing to write);
     *                not its timestamps nor figures that change on every poll
     * @param changed called, on a poller thread, with the polled cluster when its published verdict changed
     */
    public MeshPoller(MeshProbe probe, MeshPolling polling, Clock clock, BiFunction<NatsCluster, MeshObservation, Object> verdict,
            Consumer<NatsCluster> changed) {
        this.probe = probe;
        this.polling = polling;
        this.clock = clock;
        this.verdict = verdict;
        this.changed = changed;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ScheduledThreadPoolExecutor(polling.concurrency(), r -> {
            Thread t = new Thread(r, "mesh-poller-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.setRemoveOnCancelPolicy(true);
    }

    public MeshPolling polling() {
        return polling;
    }

    /**
     * Polls {@code defaultedNc} from now on (at once when it is new or its spec changed, sooner while
     * {@code changing}: a rollout under way) and returns its latest observation, empty when none was
     * made for this spec yet.
     */
    public Optional<Seen> watch(String uid, NatsCluster defaultedNc, boolean changing) {
        String shape = shape(defaultedNc);
        Entry e = clusters.computeIfAbsent(uid, k -> new Entry());
        synchronized (e) {
            e.target = defaultedNc;
            e.changing = changing;
            if (!shape.equals(e.shape)) {
                e.shape = shape;
                e.lastRaw = null;
                schedule(e, Duration.ZERO);
            } else if (changing && e.next != null && e.next.getDelay(TimeUnit.MILLISECONDS) > polling.changing().toMillis()) {
                schedule(e, polling.changing());
            }
            return shape.equals(e.publishedShape) ? Optional.of(e.published) : Optional.empty();
        }
    }

    /** Stops polling this cluster (deleted, or no broker ready to ask) and drops what was seen. */
    public void forget(String uid) {
        Entry e = clusters.remove(uid);
        if (e == null) return;
        synchronized (e) {
            e.gone = true;
            if (e.next != null) e.next.cancel(false);
        }
    }

    /** Forgets every cluster but these: the ones that still exist. */
    public void retainOnly(Set<String> uids) {
        for (String uid : Set.copyOf(clusters.keySet())) {
            if (!uids.contains(uid)) forget(uid);
        }
    }

    /**
     * How old an observation may be before it no longer stands for the brokers' state: {@link MeshPolling#staleAfter}, or,
     * when more clusters are polled than its threads can ask within it, the {@code unanswered} interval plus twice a round
     * of them all at one monitoring deadline each (what dead brokers cost). A poller kept busy by many dead clusters is
     * slow, not stuck: without this, every resync flipped their status between the last answer and "too old" (measured:
     * 500 dead clusters, about 6 status writes a second from a fleet where nothing changed).
     */
    public Duration staleAfter() {
        long rounds = (clusters.size() + polling.concurrency() - 1) / polling.concurrency();
        Duration busy = polling.unanswered().plus(MonitorClient.DEFAULT_TIMEOUT.multipliedBy(2 * rounds));
        return busy.compareTo(polling.staleAfter()) > 0 ? busy : polling.staleAfter();
    }

    /** Clusters polled now (for tests and the log). */
    public int size() {
        return clusters.size();
    }

    @Override
    public void close() {
        pool.shutdownNow();
        clusters.clear();
    }

    /** What the poll depends on: the cluster and its spec (a changed spec needs a new look before it is reported). */
    static String shape(NatsCluster nc) {
        return nc.getMetadata().getNamespace() + "/" + nc.getMetadata().getName() + " " + JSON.asJson(nc.getSpec());
    }

    /** Called with the entry's lock held. */
    private void schedule(Entry e, Duration delay) {
        if (e.gone || pool.isShutdown()) return;
        if (e.next != null) e.next.cancel(false);
        // A poll under way reschedules itself when it ends; its result is dropped if the spec changed meanwhile.
        if (e.polling) {
            e.pollAgainAt = delay;
            e.next = null;
            return;
        }
        e.next = pool.schedule(() -> poll(e), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void poll(Entry e) {
        NatsCluster nc;
        String shape;
        synchronized (e) {
            if (e.gone || e.polling) return;
            e.polling = true;
            e.next = null;
            nc = e.target;
            shape = e.shape;
        }
        MeshObservation raw = null;
        Object v = null;
        RuntimeException failed = null;
        try {
            raw = probe.check(nc);
            v = verdict.apply(nc, raw);
        } catch (RuntimeException ex) {
            // caught, or the entry would never be scheduled again
            failed = ex;
        }
        Instant at = clock.instant();
        boolean announce = false;
        synchronized (e) {
            e.polling = false;
            if (e.gone) return;
            Duration again = e.pollAgainAt;
            e.pollAgainAt = null;
            if (!shape.equals(e.shape)) {
                schedule(e, Duration.ZERO);
                return;
            }
            if (failed != null) {
                LOG.warn("mesh probe of {}/{} failed: {}", nc.getMetadata().getNamespace(), nc.getMetadata().getName(), failed.toString());
                schedule(e, again != null ? again : polling.changing());
                return;
            }
            MeshObservation before = e.lastRaw;
            e.lastRaw = raw;
            boolean rawChanged = !Objects.equals(v, e.lastRawVerdict);
            e.lastRawVerdict = v;
            if (!confirmed(before, raw, nc.getSpec().getSize())) {
                schedule(e, again != null ? again : polling.confirm());
                return;
            }
            announce = !shape.equals(e.publishedShape) || !Objects.equals(v, e.publishedVerdict);
            e.published = new Seen(raw, at);
            e.publishedShape = shape;
            e.publishedVerdict = v;
            Duration next = again != null ? again
                    : announce || rawChanged || e.changing ? polling.changing()
                    : unanswered(raw) ? polling.unanswered()
                    : polling.settled();
            schedule(e, next);
        }
        if (announce) {
            try {
                changed.accept(nc);
            } catch (RuntimeException ex) {
                LOG.warn("announcing the mesh observation of {}/{} failed", nc.getMetadata().getNamespace(), nc.getMetadata().getName(), ex);
            }
        }
    }

    /**
     * Whether {@code raw} may be published: anything short of a full mesh at once; a full mesh of
     * several brokers only when the look before it ({@code before}, null when none) saw one too.
     */
    static boolean confirmed(MeshObservation before, MeshObservation raw, int size) {
        if (raw == null || !raw.meshed() || size <= 1) return true;
        return before != null && before.meshed();
    }

    /** No broker answered: the whole poll waited out the deadline (a cluster where some answer is asked as usual). */
    static boolean unanswered(MeshObservation raw) {
        return raw != null && raw.reason() == Reason.BrokerUnreachable && raw.answered().isEmpty();
    }

    /** One cluster's polling state; every field is guarded by the entry's lock. */
    private static final class Entry {
        NatsCluster target;
        String shape;
        boolean changing;
        boolean polling;
        boolean gone;
        Duration pollAgainAt;
        ScheduledFuture<?> next;
        MeshObservation lastRaw;
        Object lastRawVerdict;
        Seen published;
        String publishedShape;
        Object publishedVerdict;
    }
}
