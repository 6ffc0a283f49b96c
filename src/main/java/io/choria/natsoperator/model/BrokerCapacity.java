package io.choria.natsoperator.model;

import io.choria.natsoperator.api.CapacitySpec;
import io.choria.natsoperator.api.LimitsSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.api.TlsSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.Optional;

/**
 * A broker sized for the Puppet nodes it carries ({@code spec.capacity.nodesPerBroker}), from
 * measured figures, not guesses (docs/BENCHMARKS.md, "Per-node memory"): a nats-server 2.9.10
 * holding Puppet-shaped nodes (RSA-4096 leaf, intermediate and root; 6 subscriptions each).
 *
 * <ul>
 *   <li>{@code max_connections}: the capacity plus a quarter (nodes never spread evenly after a
 *       reconnect storm), at least 16 more (Choria clients, the operator's own checks);</li>
 *   <li>memory request: base + per node x capacity; limit: base + per node x max_connections,
 *       plus a quarter for the storm (handshake buffers, slow consumers' pending data);</li>
 *   <li>CPU request: what ends a reconnect storm of the capacity within {@code recoverySeconds}:
 *       nodes x the broker's CPU per TLS connect (by key type) x the storm's overhead; at least
 *       one backlog of connects per second, and at least 250m;</li>
 *   <li>{@code GOMEMLIMIT} at 90% of the limit, so Go collects harder before the cgroup limit
 *       kills the broker. nats-server 2.9.10 (Debian, built with Go 1.19) and 2.10 (Go 1.22+) both
 *       honour it: the Go runtime reads it at start. /varz does not show it.</li>
 * </ul>
 */
public final class BrokerCapacity {
    /** Idle broker with TLS, routes and monitoring: 13.4 MiB RSS measured, rounded up. */
    static final long BASE_BYTES = 16L << 20;
    /** Per Puppet-shaped node: 54.4 KiB (2000 nodes) and 54.2 KiB (5000) RSS growth measured, rounded up. */
    static final long PER_NODE_BYTES = 56L << 10;
    /**
     * spec.authorization: every broker holds every user, about 5.3 KiB each at start and 7-8 KiB after a reload (nats-server
     * 2.9.10, 10,000 and 50,000 users: docs/BENCHMARKS.md, "Per-node authorization"), rounded up.
     */
    static final long PER_USER_BYTES = 8L << 10;
    /** ...and each connected node costs about 11 KiB more (its permissions' caches), rounded up. */
    static final long PER_MAPPED_NODE_BYTES = 12L << 10;
    /** How the status knows its users' shortfall message again (StatusCalculator keeps it until the next count). */
    public static final String USERS_SHORTFALL_MARK = "NATS users of spec.authorization";
    static final int MIN_EXTRA_CONNECTIONS = 16;
    /** The container's memory limit above the planned connections: the reconnect storm's transient. */
    static final double STORM_HEADROOM = 1.25;
    static final double GOMEMLIMIT_SHARE = 0.9;
    public static final String GOMEMLIMIT_ENV = "GOMEMLIMIT";
    /**
     * Broker CPU per TLS connect of a Puppet-shaped Choria node (RSA-4096 node key under an
     * RSA-4096 intermediate and root; handshake, CONNECT, six SUBs), measured with nats-server
     * 2.9.10 on one CPU, four connects at a time (docs/BENCHMARKS.md, "Reconnect storms with the
     * real client"): 2.0 ms with an EC-P256 broker key, 3.2 ms with RSA-2048. (EC node
     * certificates: 1.1 and 2.8 ms.)
     */
    static final long EC_CONNECT_CPU_MICROS = 2000;
    static final long RSA_CONNECT_CPU_MICROS = 3200;
    /** A storm under the rendered backlog took 1.1-1.4 times its nodes' CPU time; 3/2 leaves room. */
    static final long STORM_OVERHEAD_NUM = 3, STORM_OVERHEAD_DEN = 2;
    static final int MIN_CPU_MILLIS = 250;

    /** What a capacity derives. Memory in bytes, CPU in millicores. */
    public record Sizing(int nodesPerBroker, int maxConnections, long memoryRequestBytes, long memoryLimitBytes, int cpuMillis,
                         int recoverySeconds) {
        public String goMemLimit() {
            return goMemLimitFor(memoryLimitBytes);
        }

        public ResourceRequirements resources() {
            return new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity(cpuMillis + "m"))
                    .addToRequests("memory", new Quantity(mib(memoryRequestBytes) + "Mi"))
                    .addToLimits("memory", new Quantity(mib(memoryLimitBytes) + "Mi"))
                    .build();
        }
    }

    private BrokerCapacity() {}

    /** The sizing for an EC-P256 broker with the default backlog that must be back within the default recovery time. */
    public static Sizing of(int nodesPerBroker) {
        return of(nodesPerBroker, CapacitySpec.DEFAULT_RECOVERY_SECONDS, TlsSpec.KeyAlgorithm.EC_P256, SysctlsSpec.DEFAULT_SOMAXCONN);
    }

    /** @param backlog the listen backlog the broker is given (somaxconn), or 0 when the operator leaves the kernel alone */
    public static Sizing of(int nodesPerBroker, int recoverySeconds, TlsSpec.KeyAlgorithm key, int backlog) {
        int maxConnections = nodesPerBroker + Math.max(MIN_EXTRA_CONNECTIONS, (nodesPerBroker + 3) / 4);
        long request = roundUpMi(BASE_BYTES + PER_NODE_BYTES * nodesPerBroker);
        long limit = roundUpMi((long) Math.ceil((BASE_BYTES + PER_NODE_BYTES * (double) maxConnections) * STORM_HEADROOM));
        return new Sizing(nodesPerBroker, maxConnections, request, limit, cpuMillis(nodesPerBroker, recoverySeconds, key, backlog),
                recoverySeconds);
    }

    /**
     * Millicores that bring {@code nodes} back within {@code recoverySeconds} after a restart, and
     * at least enough to finish one full backlog of handshakes in a second (half the nodes' 2 s
     * timeout): the short backlog ends a storm only if what it admits at once is done in time
     * (at 0.05 CPU, 128 Puppet-shaped connects took 5 s and the storm did not end). At least 250m.
     */
    static int cpuMillis(int nodes, int recoverySeconds, TlsSpec.KeyAlgorithm key, int backlog) {
        long perConnect = key == TlsSpec.KeyAlgorithm.RSA_2048 ? RSA_CONNECT_CPU_MICROS : EC_CONNECT_CPU_MICROS;
        // micro-CPU-seconds over recoverySeconds x 1000 = millicores, rounded up
        long micros = nodes * perConnect * STORM_OVERHEAD_NUM, per = STORM_OVERHEAD_DEN * recoverySeconds * 1000L;
        // A larger backlog than the default is not sized for (4096 would ask for 8 CPUs): it does not end storms anyway
        long backlogFloor = (Math.min(backlog, SysctlsSpec.DEFAULT_SOMAXCONN) * perConnect + 999) / 1000;
        return (int) Math.max(Math.max(MIN_CPU_MILLIS, backlogFloor), (micros + per - 1) / per);
    }

    /** The sizing the spec asks for, if it gives a capacity. */
    public static Optional<Sizing> of(NatsClusterSpec spec) {
        CapacitySpec c = spec.getCapacity();
        if (c == null || c.getNodesPerBroker() == null) return Optional.empty();
        TlsSpec.KeyAlgorithm key = spec.getTls() == null ? TlsSpec.KeyAlgorithm.EC_P256 : spec.getTls().getKeyAlgorithm();
        int recovery = c.getRecoverySeconds() == null ? CapacitySpec.DEFAULT_RECOVERY_SECONDS : c.getRecoverySeconds();
        SysctlsSpec sysctls = spec.getSysctls();
        int backlog = sysctls == null || sysctls.getMode() == SysctlsSpec.Mode.None || sysctls.getSomaxconn() == null ? 0 : sysctls.getSomaxconn();
        Sizing sizing = of(c.getNodesPerBroker(), recovery, key, backlog);
        if (spec.getAuthorization() == null) return Optional.of(sizing);
        // A node mapped to its user costs more (its permissions): sized from the spec alone. The users themselves are counted
        // only by the sync, so they are checked against the limit in the status (usersShortfall), not sized: a count in the
        // pod template would restart the brokers whenever a node enrols.
        long extra = PER_MAPPED_NODE_BYTES;
        return Optional.of(new Sizing(sizing.nodesPerBroker(), sizing.maxConnections(),
                roundUpMi(sizing.memoryRequestBytes() + extra * sizing.nodesPerBroker()),
                roundUpMi((long) Math.ceil(sizing.memoryLimitBytes() + extra * (double) sizing.maxConnections() * STORM_HEADROOM)),
                sizing.cpuMillis(), sizing.recoverySeconds()));
    }

    /**
     * With spec.authorization, whether the brokers' memory limit holds the {@code users} of the last sync beside the nodes
     * (capacity's, with their storm headroom; none without capacity): empty when it does, or when the count is not known.
     */
    public static Optional<String> usersShortfall(NatsClusterSpec spec, int users, long limitBytes) {
        if (spec.getAuthorization() == null || users < 0 || limitBytes <= 0) return Optional.empty();
        long nodes = of(spec).map(z -> z.memoryLimitBytes() - roundUpMi(BASE_BYTES)).orElse(0L);
        long need = roundUpMi(BASE_BYTES + PER_USER_BYTES * (long) users + nodes);
        if (need <= limitBytes) return Optional.empty();
        return Optional.of("each broker holds the " + users + " " + USERS_SHORTFALL_MARK + " (about " + mib(PER_USER_BYTES * (long) users)
                + "Mi" + (nodes > 0 ? ", beside " + mib(nodes) + "Mi for the nodes" : "") + "): the memory limit " + mib(limitBytes)
                + "Mi is below the " + mib(need) + "Mi that needs; set spec.resources (or narrow spec.tls.puppet.pinnedCertnames)");
    }

    /** max_connections: an explicit (non-default) limits.maxConnections wins over the capacity's. */
    public static int maxConnections(NatsClusterSpec spec) {
        int configured = spec.getLimits().getMaxConnections();
        if (configured != new LimitsSpec().getMaxConnections()) return configured;
        return of(spec).map(Sizing::maxConnections).orElse(configured);
    }

    /** GOMEMLIMIT for the broker: 90% of its memory limit, whichever sets it; none without capacity (the pod stays as it was). */
    public static Optional<String> goMemLimit(NatsClusterSpec spec, ResourceRequirements resources) {
        if (of(spec).isEmpty()) return Optional.empty();
        Quantity limit = resources.getLimits() == null ? null : resources.getLimits().get("memory");
        return limit == null ? Optional.empty() : Optional.of(goMemLimitFor(bytes(limit)));
    }

    /** Why explicit resources are too small for the capacity (empty when they suffice or there is none). */
    public static Optional<String> shortfall(NatsClusterSpec spec) {
        Optional<Sizing> want = of(spec);
        ResourceRequirements explicit = spec.getResources();
        if (want.isEmpty() || explicit == null) return Optional.empty();
        Quantity limit = explicit.getLimits() == null ? null : explicit.getLimits().get("memory");
        Quantity request = explicit.getRequests() == null ? null : explicit.getRequests().get("memory");
        StringBuilder why = new StringBuilder();
        if (limit == null) {
            why.append("no memory limit (capacity wants ").append(mib(want.get().memoryLimitBytes())).append("Mi)");
        } else if (bytes(limit) < want.get().memoryLimitBytes()) {
            why.append("memory limit ").append(limit).append(" is below the ").append(mib(want.get().memoryLimitBytes()))
                    .append("Mi that ").append(want.get().nodesPerBroker()).append(" nodes per broker need");
        }
        if (request != null && bytes(request) < want.get().memoryRequestBytes()) {
            if (why.length() > 0) why.append("; ");
            why.append("memory request ").append(request).append(" is below ").append(mib(want.get().memoryRequestBytes())).append("Mi");
        }
        // The CPU the broker is sure of: its limit if it has one, else its request (without either, the node's spare CPU)
        Quantity cpu = explicit.getLimits() != null && explicit.getLimits().get("cpu") != null ? explicit.getLimits().get("cpu")
                : explicit.getRequests() == null ? null : explicit.getRequests().get("cpu");
        if (cpu != null && millicores(cpu) < want.get().cpuMillis()) {
            if (why.length() > 0) why.append("; ");
            why.append("cpu ").append(cpu).append(" is below the ").append(want.get().cpuMillis()).append("m that brings ")
                    .append(want.get().nodesPerBroker()).append(" nodes back within ").append(want.get().recoverySeconds())
                    .append(" s after a broker restarts");
        }
        return why.length() == 0 ? Optional.empty() : Optional.of("spec.resources: " + why);
    }

    static String goMemLimitFor(long limitBytes) {
        return (long) Math.floor(limitBytes * GOMEMLIMIT_SHARE / (1 << 20)) + "MiB";
    }

    static long millicores(Quantity q) {
        return Quantity.getAmountInBytes(q).multiply(java.math.BigDecimal.valueOf(1000)).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    }

    public static long bytes(Quantity q) {
        return Quantity.getAmountInBytes(q).setScale(0, java.math.RoundingMode.CEILING).longValueExact();
    }

    static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static long roundUpMi(long bytes) {
        return mib(bytes) << 20;
    }

}
