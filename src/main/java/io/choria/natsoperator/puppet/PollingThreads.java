package io.choria.natsoperator.puppet;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads of a Puppet poller ({@link PuppetInventory}, {@link EnrolmentPoller}): a timer that ticks every {@code tick},
 * claims the work that is due and runs each piece on a fixed pool of daemon workers, and ticks again as soon as one ends
 * (work for the same Puppet URL or cluster may be waiting for it). Started by the first work, ended by {@link #close},
 * started again by the next. What is due, and what one worker may take, is the poller's: {@link Work}.
 */
final class PollingThreads<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PollingThreads.class);

    /** The poller's side: claims due work for at most {@code slots} workers, runs one piece, releases it. */
    interface Work<T> {
        List<T> claimDue(int slots);

        void run(T piece);

        void release(T piece);
    }

    private final String name;
    private final int workers;
    private final Duration tick;
    private final Work<T> work;
    private ScheduledExecutorService timer;
    private ExecutorService pool;

    PollingThreads(String name, int workers, Duration tick, Work<T> work) {
        this.name = name;
        this.workers = workers;
        this.tick = tick;
        this.work = work;
    }

    /** Starts the threads unless running; {@code now}: look for due work at once rather than at the next tick. */
    void start(boolean now) {
        ScheduledExecutorService t;
        synchronized (this) {
            if (timer == null) {
                timer = Executors.newSingleThreadScheduledExecutor(daemon(name + "-timer"));
                pool = Executors.newFixedThreadPool(workers, daemon(name));
                timer.scheduleWithFixedDelay(this::tick, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
            }
            t = timer;
        }
        if (now) {
            try {
                t.execute(this::tick);
            } catch (RejectedExecutionException closed) {
                // closed meanwhile: the next work starts the threads again
            }
        }
    }

    private void tick() {
        try {
            ExecutorService w;
            synchronized (this) {
                w = pool;
            }
            if (w == null) return; // closed
            for (T piece : work.claimDue(workers)) {
                try {
                    w.execute(() -> {
                        try {
                            work.run(piece);
                        } finally {
                            work.release(piece);
                            tick();
                        }
                    });
                } catch (RejectedExecutionException closed) {
                    work.release(piece);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("{}: {}", name, e.toString());
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
        if (pool != null) pool.shutdownNow();
        timer = null;
        pool = null;
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
