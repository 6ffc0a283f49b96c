package io.choria.natsoperator.testing;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.api.monitoring.Metrics;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Counts reconciles per primary (namespace/name) through java-operator-sdk's {@link Metrics}
 * callbacks, so a test can wait for a reconcile that really ran before it asserts that nothing
 * changed (a sleep proves nothing on a loaded machine).
 *
 * <p>In java-operator-sdk 5.2.3 the executor calls {@code reconciliationExecutionStarted} before
 * the reconciler and {@code reconciliationExecutionFinished} in a finally block after the whole
 * execution (status patch included), whether it wrote anything or not and whether it failed
 * or not. {@code finishedReconciliation} fires only for successful executions and is not used
 * here. Executions for one primary never overlap, so the k-th start is the k-th finish: once
 * {@code finished >= started-at-mark + n}, n executions that started after the mark are done.
 */
public final class ReconcileCounter implements Metrics {
    /** Whether this executor thread's current execution was counted as started. */
    private static final ThreadLocal<Boolean> IN_EXECUTION = new ThreadLocal<>();

    private final Map<String, Integer> started = new HashMap<>();
    private final Map<String, Integer> finished = new HashMap<>();

    public static String key(HasMetadata resource) {
        return resource.getMetadata().getNamespace() + "/" + resource.getMetadata().getName();
    }

    @Override
    public synchronized void reconciliationExecutionStarted(HasMetadata resource, Map<String, Object> metadata) {
        if (resource == null) return;
        started.merge(key(resource), 1, Integer::sum);
        IN_EXECUTION.set(Boolean.TRUE);
    }

    @Override
    public synchronized void reconciliationExecutionFinished(HasMetadata resource, Map<String, Object> metadata) {
        // the finally block also runs for executions skipped before they started: not counted
        if (resource == null || IN_EXECUTION.get() == null) return;
        IN_EXECUTION.remove();
        finished.merge(key(resource), 1, Integer::sum);
        notifyAll();
    }

    /** Executions of {@code nc}'s reconcile that have finished so far. */
    public synchronized int finished(HasMetadata nc) {
        return finished.getOrDefault(key(nc), 0);
    }

    /** Executions of {@code nc}'s reconcile that have started so far. */
    public synchronized int started(HasMetadata nc) {
        return started.getOrDefault(key(nc), 0);
    }

    /**
     * Waits (up to {@code timeout}) until {@code n} reconciles of {@code nc} that START after this
     * call have finished; a reconcile already under way does not count. Something must trigger
     * them: the periodic resync (short in the tests) or an event.
     */
    public void awaitReconciles(HasMetadata nc, int n, Duration timeout) {
        String key = key(nc);
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            int target = started.getOrDefault(key, 0) + n;
            while (finished.getOrDefault(key, 0) < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout + " waiting for " + n + " reconcile(s) of " + key
                            + " that start after the wait began; finished " + finished.getOrDefault(key, 0) + ", needed " + target);
                }
                try {
                    wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }
    }
}
