package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * Choria Streams: JetStream in the brokers, in the {@code choria} account as {@code choria broker} has it (go-choria
 * broker/network/network_jetstream.go; docs/STREAMS-FACTS.md). Off when absent.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class StreamsSpec {
    /** A Kubernetes quantity of bytes: digits, an optional fraction, and a binary or decimal suffix. */
    public static final String QUANTITY_PATTERN = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|k|M|G|T)?$";

    @JsonPropertyDescription("The volume of each broker (a PersistentVolumeClaim per broker, from the StatefulSet's volumeClaimTemplates).")
    private StorageSpec storage = new StorageSpec();

    @Pattern(QUANTITY_PATTERN) @Default("0")
    @JsonPropertyDescription("max_memory_store of each broker (a quantity, e.g. 256Mi). 0: no memory streams, which Choria's own"
            + " streams do not use (they are all file streams). Counts against the broker's memory limit.")
    private String memoryStore = "0";

    @Default("true")
    @JsonPropertyDescription("Create and keep Choria's streams (CHORIA_EVENTS, CHORIA_MACHINE, CHORIA_STREAM_ADVISORIES, CHORIA_EXECUTOR)"
            + " and the CHORIA_LEADER_ELECTION bucket, as choria broker does with stream.manage_streams = 1. false leaves them to you.")
    private Boolean manage = true;

    @Min(1) @Max(5)
    @JsonPropertyDescription("Replicas of each managed stream (1-5, at most spec.size). Default: min(3, spec.size).")
    private Integer replicas;

    @JsonPropertyDescription("Max age of the managed streams' messages (Go durations, as Choria's plugin.choria.network.stream.*_retention).")
    private StreamRetentionSpec retention = new StreamRetentionSpec();

    @Pattern(LimitsSpec.DURATION_PATTERN) @Default("1m")
    @JsonPropertyDescription("How long a leader election key lives in CHORIA_LEADER_ELECTION (Choria's stream.leader_election_ttl).")
    private String leaderElectionTtl = "1m";

    public StorageSpec getStorage() { return storage; }
    public void setStorage(StorageSpec storage) { this.storage = storage; }
    public String getMemoryStore() { return memoryStore; }
    public void setMemoryStore(String memoryStore) { this.memoryStore = memoryStore; }
    public Boolean getManage() { return manage; }
    public void setManage(Boolean manage) { this.manage = manage; }
    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public StreamRetentionSpec getRetention() { return retention; }
    public void setRetention(StreamRetentionSpec retention) { this.retention = retention; }
    public String getLeaderElectionTtl() { return leaderElectionTtl; }
    public void setLeaderElectionTtl(String leaderElectionTtl) { this.leaderElectionTtl = leaderElectionTtl; }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class StorageSpec {
        @Pattern(QUANTITY_PATTERN) @Default("10Gi")
        @JsonPropertyDescription("Size of each broker's volume. max_file_store is 90 % of it: a filesystem keeps some for itself"
                + " (ext4 reserves 5 % for root; the broker does not run as root), and a store limit above what the disk holds"
                + " fails writes instead of refusing them.")
        private String size = "10Gi";

        @JsonPropertyDescription("StorageClass of the volumes; the cluster's default when empty.")
        private String storageClassName;

        public String getSize() { return size; }
        public void setSize(String size) { this.size = size; }
        public String getStorageClassName() { return storageClassName; }
        public void setStorageClassName(String storageClassName) { this.storageClassName = storageClassName; }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class StreamRetentionSpec {
        @Pattern(LimitsSpec.DURATION_PATTERN) @Default("24h")
        @JsonPropertyDescription("CHORIA_EVENTS (choria.lifecycle.>).")
        private String events = "24h";

        @Pattern(LimitsSpec.DURATION_PATTERN) @Default("24h")
        @JsonPropertyDescription("CHORIA_MACHINE (choria.machine.>: Autonomous Agent and Scout events).")
        private String machine = "24h";

        @Pattern(LimitsSpec.DURATION_PATTERN) @Default("168h")
        @JsonPropertyDescription("CHORIA_STREAM_ADVISORIES ($JS.EVENT.ADVISORY.>).")
        private String advisories = "168h";

        @Pattern(LimitsSpec.DURATION_PATTERN) @Default("24h")
        @JsonPropertyDescription("CHORIA_EXECUTOR (choria.submission.in.choria.executor.>: Asynchronous Jobs).")
        private String executor = "24h";

        public String getEvents() { return events; }
        public void setEvents(String events) { this.events = events; }
        public String getMachine() { return machine; }
        public void setMachine(String machine) { this.machine = machine; }
        public String getAdvisories() { return advisories; }
        public void setAdvisories(String advisories) { this.advisories = advisories; }
        public String getExecutor() { return executor; }
        public void setExecutor(String executor) { this.executor = executor; }
    }
}
