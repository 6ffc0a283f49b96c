package io.choria.natsoperator.model;

import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.StreamsSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The accounts and JetStream of a cluster with Choria Streams (spec.streams), as {@code choria broker} has them
 * (go-choria broker/network/network_accounts.go, network_jetstream.go; docs/STREAMS-FACTS.md §1-2):
 * <ul>
 * <li>{@code system}, the system account, with one password user: for {@code choria broker server ...} and the {@code nats}
 * CLI ({@code $SYS.REQ.SERVER.PING}, {@code $JS.API.SERVER.REMOVE});</li>
 * <li>{@code choria}, where every node and client lands: {@code no_auth_user} names its user, so a TLS client that sends no
 * user (every Choria node and client) is in it, as go-choria puts every non-system connection there. JetStream is on in
 * {@code choria} only (nats-server refuses it in the system account).</li>
 * </ul>
 * The users' passwords live in the routes Secret ({@link #ACCOUNTS_FILE}, included by nats.conf), never in the ConfigMap.
 * They are derived from the route password (HMAC-SHA256), so there is no second generated Secret to keep, and they change
 * with it; the system account's is also written to {@link Names#systemAccountSecret()} for people.
 */
public final class ChoriaAccounts {
    public static final String SYSTEM_ACCOUNT = "system";
    public static final String CHORIA_ACCOUNT = "choria";
    public static final String SYSTEM_USER = "system";
    public static final String CHORIA_USER = "choria";
    /** $JS.API.SERVER.REMOVE and whatever the server API adds: the system account's business, denied to every other user. */
    static final String PEER_REMOVAL_SUBJECTS = "$JS.API.SERVER.>";
    /** Beside routes.conf in the routes Secret; nats.conf includes it at its top level. */
    public static final String ACCOUNTS_FILE = "accounts.conf";
    /** max_file_store is this share of the volume: ext4 reserves 5 % for root (the broker is not root) and keeps some for itself. */
    static final double FILE_STORE_SHARE = 0.90;

    private ChoriaAccounts() {}

    public static boolean enabled(NatsClusterSpec spec) {
        return spec.getStreams() != null;
    }

    /** The system user's password: derived from the route password, so every broker (and render) computes the same one. */
    public static String systemPassword(String routePassword) {
        return derived(routePassword, "nats-operator system account v1");
    }

    /** Every password derived from {@code routePassword}: what {@code render} redacts beside it. */
    public static java.util.List<String> passwords(String routePassword) {
        return java.util.List.of(systemPassword(routePassword), choriaPassword(routePassword));
    }

    static String choriaPassword(String routePassword) {
        return derived(routePassword, "nats-operator choria account v1");
    }

    private static String derived(String routePassword, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(routePassword.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] out = mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
            // URL-safe, no padding: no character that a nats.conf string, a URL or a shell would treat specially.
            return Base64.getUrlEncoder().withoutPadding().encodeToString(out).substring(0, 40);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** The secret half: the accounts and their users, in the routes Secret. */
    public static String accountsFile(String routePassword) {
        return "accounts {\n"
                + "  " + SYSTEM_ACCOUNT + ": {\n"
                + "    users: [{user: " + NatsConfig.quote(SYSTEM_USER) + ", password: " + NatsConfig.quote(systemPassword(routePassword)) + "}]\n"
                + "  }\n"
                + "  " + CHORIA_ACCOUNT + ": {\n"
                + "    jetstream: enabled\n"
                + "    users: [{user: " + NatsConfig.quote(CHORIA_USER) + ", password: " + NatsConfig.quote(choriaPassword(routePassword))
                // nats-server before 2.10.27 (2.9.10 and the default image's 2.10.24 too) takes a meta-group peer removal from
                // any account with JetStream, not only the system account (jetstream_api.go): a node could remove brokers.
                + ", permissions: {publish: {deny: [" + NatsConfig.quote(PEER_REMOVAL_SUBJECTS) + "]}}}]\n"
                + "  }\n"
                + "}\n";
    }

    /**
     * nats.conf's part: JetStream on the volume, the accounts included from the routes Secret, the system account and the
     * default user. Sizes are plain byte counts: nats.conf reads an unquoted {@code 10G} as 10^9 and a quoted {@code "10Gi"}
     * not at all (conf/parse.go, opts.go; docs/STREAMS-FACTS.md §2).
     */
    public static String mainConfigPart(NatsClusterSpec spec, BrokerPaths paths) {
        StreamsSpec st = spec.getStreams();
        return "jetstream {\n"
                + "  store_dir: " + NatsConfig.quote(paths.dataDir()) + "\n"
                + "  max_file_store: " + maxFileStore(st) + "\n"
                + "  max_memory_store: " + memoryStore(st) + "\n"
                + "}\n"
                // A top-level include, relative to nats.conf's directory as routes.conf's inside the cluster block.
                + "include \"../routes/" + ACCOUNTS_FILE + "\"\n"
                + "system_account: " + NatsConfig.quote(SYSTEM_ACCOUNT) + "\n"
                + "no_auth_user: " + NatsConfig.quote(CHORIA_USER) + "\n";
    }

    public static long volumeBytes(StreamsSpec st) {
        return BrokerCapacity.bytes(new Quantity(st.getStorage().getSize()));
    }

    public static long maxFileStore(StreamsSpec st) {
        return (long) (volumeBytes(st) * FILE_STORE_SHARE);
    }

    public static long memoryStore(StreamsSpec st) {
        return BrokerCapacity.bytes(new Quantity(st.getMemoryStore()));
    }
}
