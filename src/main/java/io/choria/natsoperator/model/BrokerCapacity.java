package io.choria.natsoperator.model;

import io.choria.natsoperator.api.CapacitySpec;
import io.choria.natsoperator.api.LimitsSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
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
    static final int MIN_EXTRA_CONNECTIONS = 16;
    /** The container's memory limit above the planned connections: the reconnect storm's transient. */
    static final double STORM_HEADROOM = 1.25;
    static final double GOMEMLIMIT_SHARE = 0.9;
    public static final String GOMEMLIMIT_ENV = "GOMEMLIMIT";

    /** What a capacity derives. Memory in bytes. */
    public record Sizing(int nodesPerBroker, int maxConnections, long memoryRequestBytes, long memoryLimitBytes) {
        public String goMemLimit() {
            return goMemLimitFor(memoryLimitBytes);
        }

        public ResourceRequirements resources() {
            return new ResourceRequirementsBuilder()
                    .addToRequests("cpu", new Quantity("250m"))
                    .addToRequests("memory", new Quantity(mib(memoryRequestBytes) + "Mi"))
                    .addToLimits("memory", new Quantity(mib(memoryLimitBytes) + "Mi"))
                    .build();
        }
    }

    private BrokerCapacity() {}

    public static Sizing of(int nodesPerBroker) {
        int maxConnections = nodesPerBroker + Math.max(MIN_EXTRA_CONNECTIONS, (nodesPerBroker + 3) / 4);
        long request = roundUpMi(BASE_BYTES + PER_NODE_BYTES * nodesPerBroker);
        long limit = roundUpMi((long) Math.ceil((BASE_BYTES + PER_NODE_BYTES * (double) maxConnections) * STORM_HEADROOM));
        return new Sizing(nodesPerBroker, maxConnections, request, limit);
    }

    /** The sizing the spec asks for, if it gives a capacity. */
    public static Optional<Sizing> of(NatsClusterSpec spec) {
        CapacitySpec c = spec.getCapacity();
        return c == null || c.getNodesPerBroker() == null ? Optional.empty() : Optional.of(of(c.getNodesPerBroker()));
    }

    /** max_connections: an explicit (non-default) limits.maxConnections wins over the capacity's. */
    public static int maxConnections(NatsClusterSpec spec) {
        int configured = spec.getLimits().getMaxConnections();
        if (configured != new LimitsSpec().getMaxConnections()) return configured;
        return of(spec).map(Sizing::maxConnections).orElse(configured);
    }

    /** tls connection_rate_limit: the spec's, if it sets one; null renders none. */
    public static Integer connectionRateLimit(NatsClusterSpec spec) {
        return spec.getTls() == null ? null : spec.getTls().getConnectionRateLimit();
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
        return why.length() == 0 ? Optional.empty() : Optional.of("spec.resources: " + why);
    }

    static String goMemLimitFor(long limitBytes) {
        return (long) Math.floor(limitBytes * GOMEMLIMIT_SHARE / (1 << 20)) + "MiB";
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
