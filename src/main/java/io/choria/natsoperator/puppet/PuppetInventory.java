package io.choria.natsoperator.puppet;

import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TrustBundle;
import java.math.BigInteger;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Puppet CA inventory syncs, run beside the reconcile: a reconcile asks {@link #latest} for the last result (with
 * when it was synced and what the last attempt said) and never waits on the network; a timer starts each sync when it
 * is due, on a small pool of its own, and a sync whose result differs from the one before calls back the clusters
 * that use it (the reconciler turns that into a reconcile).
 *
 * <p><b>Who shares a sync.</b> One sync serves every cluster naming the same Puppet CA URL with the same CA bundle
 * (a "feed"): the bundle decides which server and which CRL signatures are believed, so another bundle is another
 * feed. The CRL and the certificates are public (Puppet serves them to anyone), but {@code certificate_statuses} is
 * shown only to a client certificate that auth.conf allows, and each cluster asks with its brokers' own certificate.
 * Puppet's answer is the same for every certificate it allows (the whole CA's inventory), so a cluster gets the shared
 * result only once its own certificate has been allowed at least once: a certificate never asked with is asked in
 * the next sync, one refused (401/403) keeps being asked each sync and its cluster gets PuppetInventoryForbidden, not
 * the inventory another cluster's certificate was allowed to read. Otherwise each sync asks with one certificate, the
 * one allowed longest ago, so every certificate is asked again in turn. N clusters on one Puppet CA thus cost one CRL
 * and one {@code certificate_statuses} a sync, not N.
 *
 * <p><b>Bounds.</b> At most {@code concurrentSyncs} syncs run at once (one per URL at a time), each exchange under
 * the client's deadline and caps ({@link PuppetCaClient.Limits}), and a whole sync under {@code maxSyncDuration}. With
 * the default caps one sync holds at most about 30 MB of inventory rows and an 8 MiB CRL while it runs, so two fit in
 * the chart's 384 MiB heap beside the informer caches; the per-URL certificate cache ({@link InventorySync}) holds one
 * key a certificate. Feeds, clients and caches of URLs no cluster names any more are dropped by {@link #retainOnly}.
 */
public final class PuppetInventory implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PuppetInventory.class);
    public static final int DEFAULT_CONCURRENT_SYNCS = 2;
    public static final Duration DEFAULT_MAX_SYNC_DURATION = Duration.ofMinutes(5);
    /** How often the timer looks for due syncs; a sync is due by the clock, so a test's clock drives it too. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** Certificates asked with in one sync after the one allowed longest ago is refused. */
    private static final int FALLBACKS = 2;

    /** What a cluster asks for: the Puppet CA, the bundle that vouches for it, the brokers' certificate, how often. */
    public record Subscription(URI url, TrustBundle bundle, String certificateChainPem, String privateKeyPem, Duration interval,
            Runnable onChange) {}

    /**
     * What a cluster gets. {@code result} and {@code syncedAt}: the last good sync (null before one, or while this cluster's
     * certificate has not been allowed). {@code problem}: what the last attempt said, null when it succeeded.
     * {@code attemptedAt}: null until a sync has been attempted for this cluster's certificate (the first is under way).
     * {@code crlSerials}: every serial on the CA's CRL as last fetched (empty before).
     */
    public record View(InventorySync.Result result, Instant syncedAt, String problem, PuppetCaException.Kind problemKind, Instant attemptedAt,
            Set<BigInteger> crlSerials) {
        public boolean pending() {
            return attemptedAt == null;
        }
    }

    private record FeedKey(String url, String bundleDigest) {}

    private static final class Identity {
        final String certPem;
        final String keyPem;
        PuppetCaClient client;
        Instant askedAt;
        Instant allowedAt;
        String problem;
        PuppetCaException.Kind problemKind;

        Identity(String certPem, String keyPem) {
            this.certPem = certPem;
            this.keyPem = keyPem;
        }
    }

    private record Sub(String identity, Duration interval, Runnable onChange) {}

    private static final class Feed {
        final FeedKey key;
        final URI url;
        final TrustBundle bundle;
        final Map<String, Sub> subs = new HashMap<>();
        final Map<String, Identity> identities = new HashMap<>();
        PuppetCaClient anonymous;
        InventorySync.Result result;
        Instant syncedAt;
        Instant attemptedAt;
        String problem;
        PuppetCaException.Kind problemKind;
        Set<BigInteger> crlSerials = Set.of();
        boolean running;
        boolean dropped;

        Feed(FeedKey key, URI url, TrustBundle bundle) {
            this.key = key;
            this.url = url;
            this.bundle = bundle;
        }

        Duration interval() {
            return subs.values().stream().map(Sub::interval).min(Comparator.naturalOrder()).orElse(Duration.ofSeconds(30));
        }
    }

    private final Clock clock;
    private final PuppetCaClient.Limits limits;
    private final int concurrentSyncs;
    private final Duration maxSyncDuration;
    private final boolean threads;
    private final Map<FeedKey, Feed> feeds = new HashMap<>();
    private final Map<String, FeedKey> feedOf = new HashMap<>();
    /** One certificate cache per URL, shared by its feeds; used by one sync at a time (see {@link #busyUrls}). */
    private final Map<String, InventorySync> caches = new HashMap<>();
    private final Set<String> busyUrls = new HashSet<>();
    private int running;
    private final PollingThreads<Feed> pollingThreads;

    /** With a timer and {@link #DEFAULT_CONCURRENT_SYNCS} workers, started at the first subscription. */
    public PuppetInventory(Clock clock) {
        this(clock, PuppetCaClient.Limits.DEFAULT, DEFAULT_CONCURRENT_SYNCS, DEFAULT_MAX_SYNC_DURATION, true);
    }

    public PuppetInventory(Clock clock, PuppetCaClient.Limits limits, int concurrentSyncs, Duration maxSyncDuration, boolean threads) {
        this.clock = clock;
        this.limits = limits;
        this.concurrentSyncs = concurrentSyncs;
        this.maxSyncDuration = maxSyncDuration;
        this.threads = threads;
        this.pollingThreads = new PollingThreads<>("puppet-inventory-sync", concurrentSyncs, TICK, new PollingThreads.Work<>() {
            @Override
            public List<Feed> claimDue(int slots) {
                return PuppetInventory.this.claimDue(clock.instant(), slots);
            }

            @Override
            public void run(Feed f) {
                sync(f, clock.instant());
            }

            @Override
            public void release(Feed f) {
                PuppetInventory.this.release(f);
            }
        });
    }

    /** Without threads: syncs run only in {@link #pollDue}, on the caller's thread (unit tests, benchmarks). */
    public static PuppetInventory manual(PuppetCaClient.Limits limits) {
        return new PuppetInventory(Clock.systemUTC(), limits, 1, DEFAULT_MAX_SYNC_DURATION, false);
    }

    /**
     * Subscribes (or updates the subscription of) {@code id} and returns what it may use now. Never waits on the
     * network: a subscription that needs a sync (a new cluster, a new certificate) has one started soon.
     */
    public View latest(String id, Subscription s) {
        boolean kick;
        View view;
        synchronized (this) {
            FeedKey key = new FeedKey(s.url().toString(), Digests.sha256Hex(s.bundle().pem()));
            FeedKey before = feedOf.put(id, key);
            if (before != null && !before.equals(key)) unsubscribe(id, before);
            Feed f = feeds.computeIfAbsent(key, k -> new Feed(k, s.url(), s.bundle()));
            String identity = Digests.sha256Hex(s.certificateChainPem());
            Sub old = f.subs.put(id, new Sub(identity, s.interval(), s.onChange()));
            Identity ident = f.identities.computeIfAbsent(identity, i -> new Identity(s.certificateChainPem(), s.privateKeyPem()));
            if (old != null && !old.identity().equals(identity)) dropUnusedIdentities(f);
            kick = ident.askedAt == null && !f.running;
            view = view(f, ident);
        }
        if (threads) pollingThreads.start(kick);
        return view;
    }

    /** Drops {@code id}'s subscription (its cluster no longer enforces revocation, or is gone). */
    public synchronized void forget(String id) {
        FeedKey key = feedOf.remove(id);
        if (key != null) unsubscribe(id, key);
    }

    /** Keeps only these subscribers; feeds, clients and certificate caches no subscriber uses any more are dropped. */
    public synchronized void retainOnly(Set<String> ids) {
        for (String id : List.copyOf(feedOf.keySet())) if (!ids.contains(id)) forget(id);
    }

    /** Feeds (distinct Puppet CA URL and bundle) with at least one subscriber. */
    public synchronized int feeds() {
        return feeds.size();
    }

    /** URLs whose certificate cache is held. */
    public synchronized Set<String> cachedUrls() {
        return Set.copyOf(caches.keySet());
    }

    private void unsubscribe(String id, FeedKey key) {
        Feed f = feeds.get(key);
        if (f == null) return;
        f.subs.remove(id);
        dropUnusedIdentities(f);
        if (f.subs.isEmpty()) {
            f.dropped = true;
            feeds.remove(key);
            if (feeds.keySet().stream().noneMatch(k -> k.url().equals(key.url())) && !busyUrls.contains(key.url())) caches.remove(key.url());
        }
    }

    private static void dropUnusedIdentities(Feed f) {
        Set<String> used = new HashSet<>();
        f.subs.values().forEach(s -> used.add(s.identity()));
        f.identities.keySet().retainAll(used);
    }

    private static View view(Feed f, Identity i) {
        if (i.problem != null) return new View(null, null, i.problem, i.problemKind, i.askedAt, f.crlSerials);
        if (i.allowedAt != null) return new View(f.result, f.syncedAt, f.problem, f.problemKind, f.attemptedAt, f.crlSerials);
        // Not yet allowed: while the CA cannot be asked at all, say so; otherwise its first sync is still to come.
        if (i.askedAt != null && f.problem != null) return new View(null, null, f.problem, f.problemKind, i.askedAt, f.crlSerials);
        return new View(null, null, null, null, null, f.crlSerials);
    }

    /**
     * A signature of what each subscriber sees, minus the times: a change is what calls a subscriber back. The result
     * is compared by identity: an unchanged list keeps its object (see {@link #sameList}), and comparing 100,000 keys
     * for every subscriber of every sync would cost more than the reconcile it might save.
     */
    private record Seen(InventorySync.Result result, String problem, PuppetCaException.Kind kind, boolean pending) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Seen s && s.result == result && Objects.equals(s.problem, problem) && s.kind == kind && s.pending == pending;
        }

        @Override
        public int hashCode() {
            return Objects.hash(System.identityHashCode(result), problem, kind, pending);
        }
    }

    private static Map<String, Seen> seen(Feed f) {
        Map<String, Seen> out = new HashMap<>();
        f.subs.forEach((id, s) -> {
            Identity i = f.identities.get(s.identity());
            View v = i == null ? null : view(f, i);
            out.put(id, v == null ? null : new Seen(v.result(), v.problem(), v.problemKind(), v.pending()));
        });
        return out;
    }

    /** Runs every due sync now, one after another, on this thread ({@link #manual} instances; tests). */
    public void pollDue(Instant now) {
        List<Feed> due;
        while (!(due = claimDue(now, 1)).isEmpty()) {
            Feed f = due.get(0);
            try {
                sync(f, now);
            } finally {
                release(f);
            }
        }
    }

    private synchronized List<Feed> claimDue(Instant now, int slots) {
        List<Feed> out = new ArrayList<>();
        for (Feed f : feeds.values()) {
            if (running >= slots) break;
            if (f.running || busyUrls.contains(f.key.url()) || !due(f, now)) continue;
            f.running = true;
            busyUrls.add(f.key.url());
            running++;
            out.add(f);
        }
        return out;
    }

    private synchronized void release(Feed f) {
        f.running = false;
        busyUrls.remove(f.key.url());
        running--;
        if (feeds.keySet().stream().noneMatch(k -> k.url().equals(f.key.url()))) caches.remove(f.key.url());
    }

    private static boolean due(Feed f, Instant now) {
        if (f.attemptedAt == null || f.identities.values().stream().anyMatch(i -> i.askedAt == null)) return true;
        return !now.isBefore(f.attemptedAt.plus(f.interval()));
    }

    /** One sync of one feed: CRL (anonymous), then certificate_statuses with the certificates whose turn it is. */
    private void sync(Feed f, Instant now) {
        List<Identity> unproven = new ArrayList<>();
        List<Identity> rotation = new ArrayList<>();
        InventorySync cache;
        synchronized (this) {
            for (Identity i : f.identities.values()) (i.allowedAt == null ? unproven : rotation).add(i);
            rotation.sort(Comparator.comparing((Identity i) -> i.allowedAt));
            cache = caches.computeIfAbsent(f.key.url(), u -> new InventorySync());
        }
        PuppetCaException feedError = null;
        InventorySync.Result result = null;
        Map<Identity, PuppetCaException> refused = new LinkedHashMap<>();
        Map<Identity, String> unusable = new LinkedHashMap<>();
        List<Identity> asked = new ArrayList<>();
        List<Identity> allowed = new ArrayList<>();
        Set<BigInteger> serials = null;
        long started = System.nanoTime();
        try {
            // The CRL first, anonymously: even when Puppet refuses a cluster's certificate (its certname was cleaned), the
            // operator learns that it must enrol again.
            List<X509CRL> crls = InventorySync.verifiedCrls(anonymous(f).crl(), f.bundle, now);
            serials = InventorySync.revokedSerials(crls);
            // Every certificate not yet allowed asks for itself (that is its proof); then, if none of them brought the
            // inventory, the one allowed longest ago, and if Puppet refuses it now, up to FALLBACKS more.
            List<Identity> order = new ArrayList<>(unproven);
            order.addAll(rotation.subList(0, Math.min(rotation.size(), 1 + FALLBACKS)));
            for (Identity i : order) {
                if (result != null && i.allowedAt != null) break;
                Duration left = maxSyncDuration.minusNanos(System.nanoTime() - started);
                if (left.isNegative() || left.isZero()) break;
                asked.add(i);
                try {
                    result = cache.sync(client(f, i), crls, left);
                    allowed.add(i);
                } catch (GeneralSecurityException e) {
                    unusable.put(i, "the brokers' certificate cannot be used to ask the Puppet CA: " + e.getMessage());
                } catch (PuppetCaException e) {
                    if (e.kind() != PuppetCaException.Kind.FORBIDDEN) throw e; // the server's fault, not this certificate's
                    refused.put(i, e);
                }
            }
        } catch (PuppetCaException e) {
            feedError = e;
        } catch (GeneralSecurityException e) {
            feedError = new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "the Puppet CA bundle cannot be used for TLS: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            feedError = new PuppetCaException(PuppetCaException.Kind.UNREACHABLE, "the sync failed: " + e, e);
        }
        List<Runnable> notify = new ArrayList<>();
        String problemBefore;
        synchronized (this) {
            if (f.dropped) return;
            Map<String, Seen> before = seen(f);
            problemBefore = f.problem;
            f.attemptedAt = now;
            if (serials != null) f.crlSerials = Set.copyOf(serials);
            // While the CA cannot be asked at all, a certificate waiting for its first answer counts as asked, so that it
            // is asked again one interval later rather than at every tick.
            for (Identity i : feedError != null ? unproven : asked) i.askedAt = now;
            for (Identity i : allowed) {
                i.allowedAt = now;
                i.problem = null;
                i.problemKind = null;
            }
            refused.forEach((i, e) -> {
                i.allowedAt = null;
                i.problem = e.getMessage();
                i.problemKind = e.kind();
            });
            unusable.forEach((i, m) -> {
                i.allowedAt = null;
                i.problem = m;
                i.problemKind = PuppetCaException.Kind.UNREACHABLE;
            });
            if (result != null) {
                // The same list keeps the same Result object, so a subscriber sees no change and the new copy is garbage.
                if (!sameList(f.result, result)) f.result = result;
                f.syncedAt = now;
                f.problem = null;
                f.problemKind = null;
            } else if (feedError != null) {
                f.problem = feedError.getMessage();
                f.problemKind = feedError.kind();
            } else if (f.identities.values().stream().anyMatch(i -> i.allowedAt != null)) {
                f.problem = "Puppet CA " + f.url + " refused every brokers' certificate asked with in this sync (HTTP 401/403 on certificate_statuses)";
                f.problemKind = PuppetCaException.Kind.FORBIDDEN;
            }
            Map<String, Seen> after = seen(f);
            after.forEach((id, v) -> {
                if (!Objects.equals(v, before.get(id))) notify.add(f.subs.get(id).onChange());
            });
        }
        if (feedError != null && !Objects.equals(problemBefore, feedError.getMessage())) {
            LOG.info("Puppet CA {}: sync failed, the last list stays in force: {}", f.url, feedError.getMessage());
        } else if (feedError == null && problemBefore != null) {
            LOG.info("Puppet CA {}: sync succeeded again", f.url);
        }
        for (Runnable r : notify) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn("Puppet CA {}: a subscriber's callback failed: {}", f.url, e.toString());
            }
        }
    }

    private PuppetCaClient anonymous(Feed f) throws GeneralSecurityException {
        synchronized (this) {
            if (f.anonymous == null) f.anonymous = PuppetCaClient.anonymous(f.url, f.bundle.pem(), limits);
            return f.anonymous;
        }
    }

    private PuppetCaClient client(Feed f, Identity i) throws GeneralSecurityException {
        synchronized (this) {
            if (i.client == null) i.client = PuppetCaClient.authenticated(f.url, f.bundle.pem(), i.certPem, i.keyPem, limits);
            return i.client;
        }
    }

    /** Equal for the brokers: the keys, the names they carry, the signed count, the CRL number and serials. */
    static boolean sameList(InventorySync.Result a, InventorySync.Result b) {
        return a != null && b != null && a.admitted().equals(b.admitted()) && a.signed() == b.signed() && a.crlNumber().equals(b.crlNumber())
                && a.revokedSerials().equals(b.revokedSerials()) && a.namesByKey().equals(b.namesByKey());
    }

    @Override
    public void close() {
        pollingThreads.close();
    }
}
