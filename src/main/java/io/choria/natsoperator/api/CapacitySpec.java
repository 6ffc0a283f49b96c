package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/**
 * How many Puppet nodes each broker must carry. Per broker, not for the whole fleet: the sizing
 * then stays the same when the cluster scales, so scaling stays a reload (a fleet total would
 * resize, and so restart, every broker on each scale). Size it for one broker down, as the
 * PodDisruptionBudget allows: nodesPerBroker >= fleet / (size - 1).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CapacitySpec {
    public static final int MAX_NODES_PER_BROKER = 100_000;

    @Required
    @Min(1) @Max(MAX_NODES_PER_BROKER)
    @JsonPropertyDescription("Choria nodes one broker must hold (1-100000). Derives the broker's CPU request (with recoverySeconds), memory request and limit, GOMEMLIMIT and max_connections (explicit resources and a non-default limits.maxConnections win). Size for one broker down: at least fleet / (size - 1).")
    private Integer nodesPerBroker;

    @Min(50) @Max(99) @Default("80")
    @JsonPropertyDescription("Warn (CapacityAvailable=False, CapacityLow) when a broker holds this percentage of nodesPerBroker connections, or of its memory limit.")
    private Integer warnPercent = 80;

    public static final int DEFAULT_RECOVERY_SECONDS = 30;

    @Min(2) @Max(600) @Default("30")
    @JsonPropertyDescription("Seconds within which every node must be back after its broker restarts (the reconnect storm). With nodesPerBroker and the broker key's measured TLS cost this derives the broker's CPU request; explicit CPU below it is reported (CapacityAvailable=False, ResourcesBelowCapacity).")
    private Integer recoverySeconds = DEFAULT_RECOVERY_SECONDS;

    public Integer getRecoverySeconds() { return recoverySeconds; }
    public void setRecoverySeconds(Integer recoverySeconds) { this.recoverySeconds = recoverySeconds; }
    public Integer getNodesPerBroker() { return nodesPerBroker; }
    public void setNodesPerBroker(Integer nodesPerBroker) { this.nodesPerBroker = nodesPerBroker; }
    public Integer getWarnPercent() { return warnPercent; }
    public void setWarnPercent(Integer warnPercent) { this.warnPercent = warnPercent; }
}
