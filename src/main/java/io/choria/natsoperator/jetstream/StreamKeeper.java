package io.choria.natsoperator.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.choria.natsoperator.model.ChoriaStreams;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps Choria's streams ({@link ChoriaStreams#wanted}) as the spec wants them, as {@code choria broker} does at start
 * (create when missing, update when different), and reports what it saw: the streams' replicas and leaders, and the
 * account's storage against its limit. Through the JetStream API in the {@code choria} account (a connection with no user:
 * {@code no_auth_user}). Each call is one pass; the caller runs it beside the reconcile.
 */
public final class StreamKeeper {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** JSStreamNotFoundErr (nats-server errors.json). */
    static final int STREAM_NOT_FOUND = 10059;

    /**
     * One stream as seen: its replicas (peers that are current with the leader, and all), its leader, its size.
     * {@code keptBy}: the cluster (site) it is placed in when that is another site's, which keeps it; null when it is
     * this cluster's. {@code settingsDiffer}: such a stream's settings are not this spec's (left as that site has them).
     */
    public record StreamState(String name, int replicas, int current, String leader, long messages, long bytes, String keptBy,
            boolean settingsDiffer) {
        public StreamState(String name, int replicas, int current, String leader, long messages, long bytes) {
            this(name, replicas, current, leader, messages, bytes, null, false);
        }

        /** The same, seen as another site's stream. */
        StreamState keptBy(String site, boolean differ) {
            return new StreamState(name, replicas, current, leader, messages, bytes, site, differ);
        }

        public boolean healthy() {
            return leader != null && !leader.isEmpty() && current == replicas;
        }
    }

    /**
     * What one pass saw and did. {@code error}: why it could not look (no meta leader yet, a broker unreachable), else null.
     * Storage against each broker's limit is the monitoring port's business ({@code /varz}'s jetstream section): the
     * account has no limit of its own ({@code jetstream: enabled}), each broker's max_file_store is the one that counts.
     */
    public record Report(List<StreamState> streams, List<String> actions, String error) {
        public static Report failed(String error) {
            return new Report(List.of(), List.of(), error);
        }

        /** With {@code more} actions after these. */
        public Report with(List<String> more) {
            if (more.isEmpty()) return this;
            List<String> all = new ArrayList<>(actions);
            all.addAll(more);
            return new Report(streams, all, error);
        }
    }

    private StreamKeeper() {}

    public static Report keep(NatsRequests c, List<ObjectNode> wanted, Duration timeout) throws IOException {
        List<String> actions = new ArrayList<>();
        List<StreamState> states = new ArrayList<>();
        JsonNode account = call(c, "$JS.API.INFO", "", timeout);
        if (account.has("error")) return Report.failed("JetStream: " + account.path("error").path("description").asText());
        for (ObjectNode config : wanted) {
            String name = config.path("name").asText();
            JsonNode info;
            try {
                info = call(c, "$JS.API.STREAM.INFO." + name, "", timeout);
            } catch (java.net.SocketTimeoutException e) {
                // A stream whose leader is gone does not answer until its replicas elect another: behind, not unknown.
                states.add(new StreamState(name, config.path("num_replicas").asInt(1), 0, null, 0, 0));
                continue;
            }
            String elsewhere = keptElsewhere(config, info);
            if (elsewhere != null) {
                // Another site's operator keeps it (a stream name is one across the gateways): updating it here would
                // have the two sites rewrite it in turn whenever their spec.streams differ.
                states.add(state(name, info).keptBy(elsewhere, differs(config, info.path("config"))));
                continue;
            }
            if (info.path("error").path("err_code").asInt() == STREAM_NOT_FOUND) {
                info = call(c, "$JS.API.STREAM.CREATE." + name, MAPPER.writeValueAsString(config), timeout);
                actions.add("created " + name);
            } else if (!info.has("error") && differs(config, info.path("config"))) {
                info = call(c, "$JS.API.STREAM.UPDATE." + name, MAPPER.writeValueAsString(config), timeout);
                actions.add("updated " + name);
            }
            if (info.has("error")) {
                return new Report(states, actions, name + ": " + info.path("error").path("description").asText());
            }
            states.add(state(name, info));
        }
        return new Report(states, actions, null);
    }

    /** The cluster a stream is placed in when the wanted config places it in another one (gateways), else null. */
    static String keptElsewhere(ObjectNode wanted, JsonNode info) {
        String mine = wanted.path("placement").path("cluster").asText("");
        String placed = info.path("cluster").path("name").asText("");
        return !mine.isEmpty() && !placed.isEmpty() && !info.has("error") && !placed.equals(mine) ? placed : null;
    }

    /** Whether the live configuration differs from the wanted one in a field the keeper manages. */
    static boolean differs(ObjectNode wanted, JsonNode live) {
        for (String field : ChoriaStreams.MANAGED_FIELDS) {
            JsonNode w = wanted.get(field);
            JsonNode l = live.get(field);
            if (w == null) continue;
            if (l == null || l.isNull()) {
                // the server leaves out a false or zero (omitempty)
                if (w.isBoolean() ? w.asBoolean() : !(w.isNumber() && w.asLong() == 0)) return true;
            } else if (w.isNumber() ? !l.isNumber() || w.asLong() != l.asLong() : !w.equals(l)) {
                return true;
            }
        }
        return false;
    }

    static StreamState state(String name, JsonNode info) {
        JsonNode cluster = info.path("cluster");
        int replicas = info.path("config").path("num_replicas").asInt(1);
        String leader = cluster.path("leader").asText(null);
        int current = leader != null ? 1 : 0;
        for (JsonNode peer : cluster.path("replicas")) if (peer.path("current").asBoolean()) current++;
        return new StreamState(name, replicas, current, leader, info.path("state").path("messages").asLong(), info.path("state").path("bytes").asLong());
    }

    private static JsonNode call(NatsRequests c, String subject, String payload, Duration timeout) throws IOException {
        NatsRequests.Reply reply = c.request(subject, payload, timeout);
        if (reply.status() == 503) throw new IOException("no JetStream answers " + subject + " (no meta leader yet, or JetStream off)");
        return MAPPER.readTree(reply.payload());
    }
}
