package io.choria.natsoperator.mesh;

import java.time.Duration;

/**
 * How often {@link MeshPoller} asks a cluster's brokers, and how many clusters at once.
 *
 * @param settled     between polls of a cluster whose verdict has not changed and which is not rolling
 * @param unanswered  instead of {@code settled} while no broker of the cluster keeps answering: each such
 *                    poll holds a thread for a whole deadline, and dead clusters must not take
 *                    every thread from those that answer
 * @param changing    after a changed verdict, and while the StatefulSet rolls (the status follows a change within seconds)
 * @param confirm     before the second look that a new full mesh needs (a refused route flickers into /varz remotes)
 * @param staleAfter  an observation older than this is not reported as the brokers' state any more
 * @param concurrency clusters polled at once at most: the poller's threads, each held up to about one
 *                    MonitorClient deadline per question (/varz, /gatewayz, /leafz) by brokers that do not answer
 */
public record MeshPolling(Duration settled, Duration unanswered, Duration changing, Duration confirm, Duration staleAfter,
        int concurrency) {
    public static final MeshPolling DEFAULTS = new MeshPolling(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(2),
            Duration.ofMillis(200), Duration.ofSeconds(60), 16);

    public MeshPolling {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
        if (staleAfter.compareTo(settled) <= 0 || staleAfter.compareTo(unanswered) <= 0) {
            throw new IllegalArgumentException("staleAfter must exceed the settled and unanswered intervals");
        }
    }
}
