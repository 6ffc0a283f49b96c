package io.choria.natsoperator.jetstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Removes brokers that a scale-down took away from JetStream's meta group. A broker that leaves stays a peer: the meta
 * group and the streams it held a replica of count it, offline, in their quorum, and JetStream never places those
 * replicas elsewhere (nats-server #3767, #6760). {@code $JS.API.SERVER.REMOVE} (system account only, answered by the meta
 * leader) takes it out, and its replicas move to the brokers left.
 *
 * <p>Only a peer that {@code departed} names (this cluster's broker at an ordinal at or past the size) and that JetStream
 * reports offline: a broker that restarts within the size is never removed. A removed peer id is not taken back by
 * nats-server 2.9.10 and 2.10 before 2.10.28 (and then after 5 minutes): a broker scaled back up at the same ordinal, so
 * with the same server_name, does not rejoin JetStream on those versions (docs/STREAMS-FACTS.md §4).
 */
public final class MetaPeers {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private MetaPeers() {}

    /** The peers removed, as "removed peer NAME" actions; {@code system} is a connection as the system user. */
    public static List<String> removeDeparted(NatsRequests system, Predicate<String> departed, Duration timeout) throws IOException {
        JsonNode jsz = MAPPER.readTree(system.request("$SYS.REQ.SERVER.PING.JSZ", "{\"leader_only\":true}", timeout).payload());
        List<String> actions = new ArrayList<>();
        for (JsonNode peer : jsz.path("data").path("meta_cluster").path("replicas")) {
            String name = peer.path("name").asText();
            if (!departed.test(name) || !peer.path("offline").asBoolean()) continue;
            JsonNode answer = MAPPER.readTree(system.request("$JS.API.SERVER.REMOVE", "{\"peer\":" + NatsRequests.jsonString(name) + "}",
                    timeout).payload());
            if (answer.path("success").asBoolean()) {
                actions.add("removed departed peer " + name + " from the meta group");
            } else {
                actions.add("could not remove departed peer " + name + ": " + answer.path("error").path("description").asText());
            }
        }
        return actions;
    }
}
