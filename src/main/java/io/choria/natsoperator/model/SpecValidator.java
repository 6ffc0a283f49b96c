package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a defaulted spec for what the CRD schema also checks (so {@code render} and a cluster
 * without schema validation give the same answer) and for what the schema cannot express.
 */
public final class SpecValidator {
    /** {@code <name>-headless} must stay a DNS label (63 characters). */
    public static final int MAX_NAME_LENGTH = 63 - Names.HEADLESS_SUFFIX.length();
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final long MIN_LAME_DUCK_MILLIS = 30_000;

    private SpecValidator() {}

    public static List<SpecProblem> validate(NatsCluster nc) {
        List<SpecProblem> problems = new ArrayList<>();
        String name = nc.getMetadata() == null ? null : nc.getMetadata().getName();
        if (name == null || name.isEmpty()) {
            problems.add(problem("metadata.name is required"));
        } else {
            if (name.length() > MAX_NAME_LENGTH) {
                problems.add(problem("metadata.name '" + name + "' is " + name.length() + " characters; at most "
                        + MAX_NAME_LENGTH + " keep every broker's DNS label ('" + name + Names.HEADLESS_SUFFIX + "') within 63"));
            }
            if (!DNS_LABEL.matcher(name).matches()) {
                problems.add(problem("metadata.name '" + name + "' must be a DNS label (lower-case letters, digits, '-')"));
            }
        }
        NatsClusterSpec s = nc.getSpec();
        if (s.getSize() < 1) problems.add(problem("spec.size must be at least 1 (got " + s.getSize() + ")"));
        if (s.getSize() > 99) problems.add(problem("spec.size must be at most 99 (got " + s.getSize() + ")"));
        Set<Integer> ports = new HashSet<>();
        for (var p : List.of(new Object[] {"client", s.getPorts().getClient()}, new Object[] {"cluster", s.getPorts().getCluster()},
                new Object[] {"monitor", s.getPorts().getMonitor()})) {
            int port = (Integer) p[1];
            if (port < 1 || port > 65535) problems.add(problem("spec.ports." + p[0] + " must be 1-65535 (got " + port + ")"));
            if (!ports.add(port)) problems.add(problem("spec.ports." + p[0] + " (" + port + ") is used by another port"));
        }
        duration(problems, "spec.limits.writeDeadline", s.getLimits().getWriteDeadline(), 1);
        duration(problems, "spec.limits.lameDuckDuration", s.getLimits().getLameDuckDuration(), MIN_LAME_DUCK_MILLIS);
        if (s.getLimits().getMaxConnections() < 1) problems.add(problem("spec.limits.maxConnections must be at least 1"));
        if (s.getSysctls().getSomaxconn() < 128) problems.add(problem("spec.sysctls.somaxconn must be at least 128"));
        if (s.getSysctls().getTcpMaxSynBacklog() < 128) problems.add(problem("spec.sysctls.tcpMaxSynBacklog must be at least 128"));
        var ref = s.getRoutes().getPasswordSecretRef();
        if (ref != null && (ref.getName() == null || ref.getName().isBlank())) {
            problems.add(problem("spec.routes.passwordSecretRef.name is required when passwordSecretRef is set"));
        }
        TlsSpec tls = s.getTls();
        if (tls != null) {
            if (tls.getCaSecretRef() == null || tls.getCaSecretRef().getName() == null || tls.getCaSecretRef().getName().isBlank()) {
                problems.add(problem("spec.tls.caSecretRef.name is required when tls is set"));
            }
            if (tls.getValidityDays() < 1) problems.add(problem("spec.tls.validityDays must be at least 1"));
            if (tls.getHandshakeTimeoutSeconds() < 1 || tls.getHandshakeTimeoutSeconds() > 60) {
                problems.add(problem("spec.tls.handshakeTimeoutSeconds must be 1-60 (got " + tls.getHandshakeTimeoutSeconds() + ")"));
            }
            if (tls.getRenewBeforeDays() < 1 || tls.getRenewBeforeDays() >= tls.getValidityDays()) {
                problems.add(problem("spec.tls.renewBeforeDays (" + tls.getRenewBeforeDays()
                        + ") must be at least 1 and less than validityDays (" + tls.getValidityDays() + ")"));
            }
        }
        return problems;
    }

    private static void duration(List<SpecProblem> problems, String field, String value, long minMillis) {
        try {
            long ms = Durations.millis(value);
            if (ms < minMillis) {
                problems.add(problem(field + " must be at least " + (minMillis >= 1000 ? (minMillis / 1000) + "s" : minMillis + "ms")
                        + " (got " + value + ")"));
            }
        } catch (IllegalArgumentException e) {
            problems.add(problem(field + ": " + e.getMessage()));
        }
    }

    private static SpecProblem problem(String message) {
        return new SpecProblem(Reason.InvalidSpec, message);
    }
}
