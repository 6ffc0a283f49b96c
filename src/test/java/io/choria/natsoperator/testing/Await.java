package io.choria.natsoperator.testing;

import java.time.Duration;
import java.util.function.Supplier;

/** Polls until a condition holds, for tests against asynchronous controllers. */
public final class Await {
    private Await() {}

    public static <T> T until(String what, Duration timeout, Supplier<T> probe, java.util.function.Predicate<T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (System.nanoTime() < deadline) {
            try {
                last = probe.get();
                lastError = null;
                if (last != null && done.test(last)) return last;
            } catch (RuntimeException e) {
                lastError = e; // not there yet; kept, so that a timeout says why
            }
            sleep(100);
        }
        throw timedOut(what, timeout, last, lastError);
    }

    /**
     * The failure of a wait: what was last seen, and when the last probe threw, that exception (message and
     * cause), so that "last seen: null" never hides a probe that failed every time.
     */
    static AssertionError timedOut(String what, Duration timeout, Object last, RuntimeException lastError) {
        String seen = lastError == null ? "last seen: " + last
                : "last probe failed: " + lastError + (last == null ? "" : " (last value seen before: " + last + ")");
        return new AssertionError("timed out after " + timeout + " waiting for " + what + "; " + seen, lastError);
    }

    public static <T> T present(String what, Supplier<T> probe) {
        return until(what, Duration.ofSeconds(30), probe, x -> true);
    }

    /**
     * A write of the user's (an edit of a NatsCluster) retried while it meets a 409 Conflict, as kubectl
     * would: the operator writes the object's status meanwhile. Any other failure is thrown at once.
     */
    public static <T> T retryingConflicts(String what, Supplier<T> write) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try {
                return write.get();
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || System.nanoTime() > deadline) throw new AssertionError(what + ": " + e.getMessage(), e);
            }
            sleep(50);
        }
    }

    public static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
