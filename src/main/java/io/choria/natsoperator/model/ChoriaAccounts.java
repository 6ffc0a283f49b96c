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

    /** Every secret derived from {@code routePassword} (passwords, nkey seeds): what {@code render} redacts beside it. */
    public static java.util.List<String> passwords(String routePassword) {
        return java.util.List.of(systemPassword(routePassword), choriaPassword(routePassword), systemNKey(routePassword).encodedSeed(),
                operatorNKey(routePassword).encodedSeed());
    }

    /**
     * With spec.authorization every certificate on the client port is the user its name maps to, and a password is never
     * asked (nats-server's verify_and_map); the operator and people then reach the system account with this nkey, which
     * nats-server checks before the mapping.
     */
    public static io.choria.natsoperator.pki.NKeys systemNKey(String routePassword) {
        return io.choria.natsoperator.pki.NKeys.derived(routePassword, "nats-operator system account nkey v1");
    }

    /** With spec.authorization: the operator's own user in choria, for the streams it keeps. */
    public static io.choria.natsoperator.pki.NKeys operatorNKey(String routePassword) {
        return io.choria.natsoperator.pki.NKeys.derived(routePassword, "nats-operator choria account operator nkey v1");
    }

    /**
     * With spec.authorization: the operator's user in choria, among the nodes' in the users file the pod writes (a public key,
     * no secret), denied the server API as the choria user is.
     */
    public static String operatorUser(String routePassword) {
        return "{nkey: " + NatsConfig.quote(operatorNKey(routePassword).publicKey()) + ", permissions: {publish: {deny: ["
                + NatsConfig.quote(PEER_REMOVAL_SUBJECTS) + "]}}}";
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
    public static String accountsFile(NatsClusterSpec spec, String routePassword) {
        if (!ChoriaPermissions.enabled(spec)) return accountsFile(routePassword);
        // spec.authorization: choria's users are the nodes', clients' and the operator's, in the users file the pod writes from
        // the pinned list (include is relative to this file's directory); no password user, which verify_and_map never asks.
        return "accounts {\n"
                + "  " + SYSTEM_ACCOUNT + ": {\n"
                + "    users: [{nkey: " + NatsConfig.quote(systemNKey(routePassword).publicKey()) + "}]\n"
                + "  }\n"
                + "  " + CHORIA_ACCOUNT + ": {\n"
                + "    jetstream: enabled\n"
                + "    include \"../pinned/" + ChoriaPermissions.USERS_FILE + "\"\n"
                + "  }\n"
                + "}\n";
    }

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
                // With spec.authorization no connection is without a user (each certificate maps to its own), and no
                // choria password user is left to name.
                + (ChoriaPermissions.enabled(spec) ? "" : "no_auth_user: " + NatsConfig.quote(CHORIA_USER) + "\n");
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
