package io.choria.natsoperator.runtime;

import io.javaoperatorsdk.operator.Operator;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What the probes report, from the operator's own state (java-operator-sdk's RuntimeInfo).
 *
 * <ul>
 *   <li>live: the process serves and the operator has not stopped (starting counts as live, so a
 *       slow start against a busy API server is not killed; a stopped operator is restarted).
 *   <li>ready: the operator started and every informer (event source) is healthy: its watch is
 *       connected and its cache synced. A leader-election standby runs its informers too and
 *       is ready; it only does not reconcile.
 * </ul>
 */
public final class OperatorHealth {
    public enum Phase { STARTING, RUNNING, STOPPING, STOPPED, FAILED }

    public record Verdict(boolean ok, String message) {}

    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.STARTING);
    private volatile Operator operator;

    public void attach(Operator operator) {
        this.operator = operator;
    }

    public void phase(Phase next) {
        phase.set(next);
    }

    public Phase phase() {
        return phase.get();
    }

    public Verdict liveness() {
        Phase p = phase.get();
        return switch (p) {
            case STARTING, RUNNING -> new Verdict(true, "ok: " + p.name().toLowerCase());
            case STOPPING, STOPPED, FAILED -> new Verdict(false, "operator " + p.name().toLowerCase());
        };
    }

    public Verdict readiness() {
        Phase p = phase.get();
        Operator op = operator;
        if (p != Phase.RUNNING || op == null) return new Verdict(false, "operator " + p.name().toLowerCase());
        var info = op.getRuntimeInfo();
        if (!info.isStarted()) return new Verdict(false, "operator not started");
        if (!info.allEventSourcesAreHealthy()) {
            Map<String, Object> unhealthy = new TreeMap<>();
            info.unhealthyEventSources().forEach((controller, sources) ->
                    sources.forEach((name, indicator) -> unhealthy.put(controller + "/" + name, indicator.getStatus())));
            return new Verdict(false, "unhealthy event sources: " + unhealthy);
        }
        return new Verdict(true, "ok");
    }
}
