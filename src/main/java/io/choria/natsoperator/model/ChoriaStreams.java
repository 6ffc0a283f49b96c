package io.choria.natsoperator.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.StreamsSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The streams {@code choria broker} creates and keeps (go-choria v0.30.2 broker/network/network_jetstream.go:122-180,
 * with jsm.go's DefaultStream: limits retention, discard old, no byte or message limit, file storage), as JetStream API
 * stream configurations ({@code $JS.API.STREAM.CREATE.<name>}). A retention of 0 leaves a stream out, as Choria does; the
 * leader election bucket is always kept.
 *
 * <p>CHORIA_EXECUTOR's subject transform needs nats-server 2.10: 2.9.10 decodes the request with plain json.Unmarshal and
 * makes the stream without it, silently (docs/STREAMS-FACTS.md §3). {@link #MANAGED_FIELDS} leaves it out of the
 * comparison, so a 2.9 broker is not updated on every pass.
 */
public final class ChoriaStreams {
    public static final String EVENTS = "CHORIA_EVENTS";
    public static final String MACHINE = "CHORIA_MACHINE";
    public static final String ADVISORIES = "CHORIA_STREAM_ADVISORIES";
    public static final String EXECUTOR = "CHORIA_EXECUTOR";
    public static final String LEADER_ELECTION_BUCKET = "CHORIA_LEADER_ELECTION";
    public static final String LEADER_ELECTION = "KV_" + LEADER_ELECTION_BUCKET;
    /** What the keeper compares between the wanted and the live configuration (what the server fills in aside). */
    public static final List<String> MANAGED_FIELDS = List.of("subjects", "max_age", "num_replicas", "storage", "retention", "discard",
            "max_msgs_per_subject", "max_msg_size", "deny_delete", "allow_rollup_hdrs", "allow_direct");

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ChoriaStreams() {}

    /** The streams to keep; empty when Streams are off or {@code manage} is false. */
    public static List<ObjectNode> wanted(Names names, NatsClusterSpec spec) {
        List<ObjectNode> streams = wanted(spec);
        // Across gateways JetStream is one super-cluster and a stream name is one in the account: each site places what
        // it makes in its own cluster, and leaves a stream placed at another site to that site (StreamKeeper).
        if (spec.getGateway() != null) {
            for (ObjectNode s : streams) s.putObject("placement").put("cluster", NatsConfig.clusterName(names, spec));
        }
        return streams;
    }

    private static List<ObjectNode> wanted(NatsClusterSpec spec) {
        StreamsSpec st = spec.getStreams();
        List<ObjectNode> streams = new ArrayList<>();
        if (st == null || !Boolean.TRUE.equals(st.getManage())) return streams;
        int replicas = st.getReplicas();
        var r = st.getRetention();
        limits(streams, EVENTS, "Choria Lifecycle Events", "choria.lifecycle.>", r.getEvents(), replicas);
        limits(streams, MACHINE, "Choria Autonomous Agent Events", "choria.machine.>", r.getMachine(), replicas);
        limits(streams, ADVISORIES, "Choria Streams Advisories", "$JS.EVENT.ADVISORY.>", r.getAdvisories(), replicas);
        ObjectNode executor = limits(streams, EXECUTOR, "Choria Executor Events", "choria.submission.in.choria.executor.>", r.getExecutor(), replicas);
        if (executor != null) {
            executor.put("allow_direct", true);
            ObjectNode transform = executor.putObject("subject_transform");
            transform.put("src", "choria.submission.in.choria.executor.>");
            transform.put("dest", "choria.executor.>");
        }
        ObjectNode bucket = stream(LEADER_ELECTION, "Choria Leader Election Bucket", "$KV." + LEADER_ELECTION_BUCKET + ".>",
                Durations.millis(st.getLeaderElectionTtl()), replicas);
        bucket.put("max_msgs_per_subject", 1);
        bucket.put("max_msg_size", 1024);
        bucket.put("discard", "new");
        bucket.put("deny_delete", true);
        bucket.put("allow_rollup_hdrs", true);
        bucket.put("allow_direct", true);
        streams.add(bucket);
        return streams;
    }

    private static ObjectNode limits(List<ObjectNode> streams, String name, String description, String subject, String maxAge, int replicas) {
        long ms = Durations.millis(maxAge);
        if (ms <= 0) return null;
        ObjectNode s = stream(name, description, subject, ms, replicas);
        streams.add(s);
        return s;
    }

    private static ObjectNode stream(String name, String description, String subject, long maxAgeMillis, int replicas) {
        ObjectNode s = JSON.objectNode();
        s.put("name", name);
        s.put("description", description);
        s.putArray("subjects").add(subject);
        s.put("retention", "limits");
        s.put("max_consumers", -1);
        s.put("max_msgs", -1);
        s.put("max_bytes", -1);
        s.put("max_age", maxAgeMillis * 1_000_000L);
        s.put("max_msgs_per_subject", -1);
        s.put("max_msg_size", -1);
        s.put("discard", "old");
        s.put("storage", "file");
        s.put("num_replicas", replicas);
        return s;
    }
}
