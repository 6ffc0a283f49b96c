package io.choria.natsoperator.puppet;

import io.choria.natsoperator.pki.Digests;
import io.choria.natsoperator.pki.TrustBundle;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enrolment's calls to the Puppet CA, run beside the reconcile: the reconcile hands over a cluster's certificate request
 * ({@link #latest}) once its key and CSR are stored, and reads the CA's latest answer with its time; it never waits on
 * the network. A poll asks for the signed certificate, submits the CSR when the CA has neither the certificate nor a
 * pending request, and asks for the certificate again (autosign signs while it takes the request). An answer that
 * differs from the one before calls the cluster back (the reconciler turns that into a reconcile).
 *
 * <p><b>Bounds.</b> One job per cluster, replaced when its request changes (new key, new names, another URL or bundle)
 * and dropped by {@link #forget} / {@link #retainOnly}. One call per cluster at a time (a replaced job's successor waits
 * for its call to end), one per Puppet CA URL at a time (a trickling CA holds one worker, not all), at most
 * {@code concurrency} at once; each exchange under the client's deadline and caps ({@link PuppetCaClient.Limits}), so a
 * poll takes at most four deadlines. Clients are kept per URL and bundle only while a job names them.
 */
public final class EnrolmentPoller implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EnrolmentPoller.class);
    public static final int DEFAULT_CONCURRENCY = 4;
    /** Polls after the first: soon at first (autosign, an admin at the console), then every 15 s until the cluster has its certificate. */
    static final List<Duration> RETRIES = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
            Duration.ofSeconds(8), Duration.ofSeconds(15));
    /** How often the timer looks for due polls; due is by the clock, so a test's clock drives it too. */
    static final Duration TICK = Duration.ofSeconds(1);

    /** A cluster's certificate request, as stored in its {@code <name>-tls-request} Secret, and the CA to ask. */
    public record Request(URI url, TrustBundle bundle, String certname, String csrPem) {
        String key() {
            return url + "\n" + Digests.sha256Hex(bundle.pem()) + "\n" + certname + "\n" + Digests.sha256Hex(csrPem);
        }
    }

    public enum State { SIGNED, PENDING, REFUSED, UNREACHABLE }

    /**
     * What the CA last said about a request: {@code certificatePem} when SIGNED, {@code message} (the CA's or the
     * client's words) when REFUSED or UNREACHABLE; {@code at} when the poll that learnt it ended.
     */
    public record Answer(State state, String certificatePem, String message, Instant at) {
        public Duration age(Instant now) {
            return Duration.between(at, now);
        }

        boolean sameAs(Answer o) {
            return o != null && state == o.state && Objects.equals(certificatePem, o.certificatePem) && Objects.equals(message, o.message);
        }
    }

    private static final class Job {
        final String uid;
        final Request request;
        final String key;
        Runnable onChange;
        Answer answer;
        int polls;
        Instant due;
        boolean running;
        boolean dropped;

        Job(String uid, Request request, Runnable onChange) {
            this.uid = uid;
            this.request = request;
            this.key = request.key();
            this.onChange = onChange;
        }

        String clientKey() {
            return request.url() + "\n" + Digests.sha256Hex(request.bundle().pem());
        }
    }

    private final Clock clock;
    private final PuppetCaClient.Limits limits;
    private final int concurrency;
    private final boolean threads;
    private final Map<String, Job> jobs = new HashMap<>();
    /** The job whose call is in flight, by cluster: a successor waits for it. */
    private final Map<String, Job> inFlight = new HashMap<>();
    private final Set<String> busyUrls = new HashSet<>();
    private final Map<String, PuppetCaClient> clients = new HashMap<>();
    private final PollingThreads<Job> pollingThreads;

    /** With a timer and {@link #DEFAULT_CONCURRENCY} workers, started at the first request. */
    public EnrolmentPoller(Clock clock) {
        this(clock, PuppetCaClient.Limits.DEFAULT, DEFAULT_CONCURRENCY, true);
    }

    public EnrolmentPoller(Clock clock, PuppetCaClient.Limits limits, int concurrency, boolean threads) {
        this.clock = clock;
        this.limits = limits;
        this.concurrency = concurrency;
        this.threads = threads;
        this.pollingThreads = new PollingThreads<>("puppet-enrolment", concurrency, TICK, new PollingThreads.Work<>() {
            @Override
            public List<Job> claimDue(int slots) {
                return EnrolmentPoller.this.claimDue(clock.instant(), slots);
            }

            @Override
            public void run(Job job) {
                poll(job);
            }

            @Override
            public void release(Job job) {
                EnrolmentPoller.this.release(job);
            }
        });
    }

    /** Without threads: polls run only in {@link #pollDue}, on the caller's thread (unit tests). */
    public static EnrolmentPoller manual(Clock clock, PuppetCaClient.Limits limits) {
        return new EnrolmentPoller(clock, limits, 1, false);
    }

    /**
     * The CA's latest answer about {@code request} for cluster {@code uid}, empty until its first poll ends; a new or
     * changed request is polled at once (the old one's job is dropped). {@code onChange} runs, on a poller thread, when
     * an answer differs from the one before. Never waits on the network.
     */
    public Optional<Answer> latest(String uid, Request request, Runnable onChange) {
        boolean kick;
        Optional<Answer> answer;
        synchronized (this) {
            Job job = jobs.get(uid);
            if (job == null || !job.key.equals(request.key())) {
                if (job != null) drop(job);
                job = new Job(uid, request, onChange);
                jobs.put(uid, job);
            }
            job.onChange = onChange;
            kick = job.due == null && !job.running;
            answer = Optional.ofNullable(job.answer);
        }
        if (threads) pollingThreads.start(kick);
        return answer;
    }

    /** Drops {@code uid}'s job (its cluster has its certificate, enrols no more, or is gone); a call in flight is not waited for. */
    public synchronized void forget(String uid) {
        Job job = jobs.remove(uid);
        if (job != null) drop(job);
    }

    /** Keeps only these clusters' jobs. */
    public synchronized void retainOnly(Set<String> uids) {
        for (String uid : List.copyOf(jobs.keySet())) if (!uids.contains(uid)) forget(uid);
    }

    /** Clusters with a job. */
    public synchronized int jobs() {
        return jobs.size();
    }

    /** Clients held (one per Puppet CA URL and bundle that a job names). */
    public synchronized int clients() {
        return clients.size();
    }

    private void drop(Job job) {
        job.dropped = true;
        String ck = job.clientKey();
        if (jobs.values().stream().noneMatch(j -> j != job && j.clientKey().equals(ck))) clients.remove(ck);
    }

    /**
     * One poll of a request with {@code client}, on the caller's thread: its certificate if signed; otherwise the CSR
     * is submitted unless Puppet already holds it, and the certificate asked for again.
     */
    public static Answer ask(PuppetCaClient client, String certname, String csrPem, Clock clock) {
        try {
            Optional<String> signed = client.certificate(certname);
            if (signed.isEmpty() && !client.requestPending(certname)) {
                client.submitRequest(certname, csrPem);
                signed = client.certificate(certname); // autosign signs while it takes the request
            }
            return signed.map(pem -> new Answer(State.SIGNED, pem, null, clock.instant()))
                    .orElseGet(() -> new Answer(State.PENDING, null, null, clock.instant()));
        } catch (PuppetCaException e) {
            State s = e.kind() == PuppetCaException.Kind.REFUSED ? State.REFUSED : State.UNREACHABLE;
            return new Answer(s, null, e.getMessage(), clock.instant());
        } catch (RuntimeException e) {
            return new Answer(State.UNREACHABLE, null, "the call to the Puppet CA failed: " + e, clock.instant());
        }
    }

    /** Runs every due poll now, one after another, on this thread ({@link #manual} instances; tests). */
    public void pollDue() {
        List<Job> due;
        while (!(due = claimDue(clock.instant(), 1)).isEmpty()) {
            Job job = due.get(0);
            try {
                poll(job);
            } finally {
                release(job);
            }
        }
    }

    private synchronized List<Job> claimDue(Instant now, int slots) {
        List<Job> out = new ArrayList<>();
        for (Job job : jobs.values()) {
            if (inFlight.size() >= slots) break;
            String url = job.request.url().toString();
            if (job.running || inFlight.containsKey(job.uid) || busyUrls.contains(url)) continue;
            if (job.due != null && now.isBefore(job.due)) continue;
            job.running = true;
            inFlight.put(job.uid, job);
            busyUrls.add(url);
            out.add(job);
        }
        return out;
    }

    private synchronized void release(Job job) {
        job.running = false;
        inFlight.remove(job.uid, job);
        busyUrls.remove(job.request.url().toString());
    }

    private void poll(Job job) {
        Answer answer;
        try {
            answer = ask(client(job), job.request.certname(), job.request.csrPem(), clock);
        } catch (GeneralSecurityException e) {
            answer = new Answer(State.UNREACHABLE, null, "the Puppet CA bundle cannot be used for TLS: " + e.getMessage(), clock.instant());
        }
        Runnable notify = null;
        synchronized (this) {
            if (job.dropped) return;
            job.polls++;
            job.due = answer.at().plus(RETRIES.get(Math.min(job.polls, RETRIES.size()) - 1));
            if (!answer.sameAs(job.answer)) notify = job.onChange;
            if (job.answer != null && job.answer.state() != answer.state()) {
                LOG.info("Puppet CA {}: certificate request '{}' now {}", job.request.url(), job.request.certname(), answer.state());
            }
            job.answer = answer;
        }
        if (notify != null) {
            try {
                notify.run();
            } catch (RuntimeException e) {
                LOG.warn("Puppet CA {}: a callback failed: {}", job.request.url(), e.toString());
            }
        }
    }

    private PuppetCaClient client(Job job) throws GeneralSecurityException {
        String ck = job.clientKey();
        synchronized (this) {
            PuppetCaClient c = clients.get(ck);
            if (c != null) return c;
        }
        PuppetCaClient c = PuppetCaClient.anonymous(job.request.url(), job.request.bundle().pem(), limits);
        synchronized (this) {
            // Kept only while a job still names this URL and bundle.
            if (!job.dropped) clients.putIfAbsent(ck, c);
            return c;
        }
    }

    @Override
    public void close() {
        pollingThreads.close();
    }
}
