package io.choria.natsoperator.model;

import io.choria.natsoperator.api.AuthorizationSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.pki.Digests;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * spec.authorization: a NATS user per Puppet certname, with the subjects of its role, derived from go-choria v0.30.2
 * (docs/PERMISSIONS-FACTS.md; GC = choria-io/go-choria):
 * <ul>
 * <li>nodes: Choria's rules for a server token ({@code setClaimsBasedServerPermissions}, broker/network/choria_auth.go:1118-1157),
 * with the service-host claim ({@code <c>.broadcast.service.>}, :1163) since Puppet-mode nodes carry no claims; without the
 * hashed reply subjects, which only a JWT's unique id makes a node's inbox;</li>
 * <li>clients: the fleet-management client rules (:876-879, :900-906), replies on {@code <c>.reply.<md5|sha256(callerid)>.>}
 * where a Puppet-mode client's callerid is {@code choria=<certname>} (choria/framework.go:715, connection.go:559-566);</li>
 * <li>privileged clients (plugin.choria.security.privileged_users, config/choria.go:118): they may send requests as any caller,
 * so their replies may land on any caller's subject: {@code <c>.reply.>}.</li>
 * </ul>
 * The pod writes the users file ({@link #USERS_FILE}) from the pinned list's entries ({@link PinnedList}: key, role, certname
 * and the reply hashes) and the role templates the manifest carries ({@link #templates}); so the operator computes what needs
 * code (the role, the hashes) and the list stays a few bytes per node.
 */
public final class ChoriaPermissions {
    /** Beside pinned_certs.conf in the pod's assembled directory; nats.conf includes it in its authorization block. */
    public static final String USERS_FILE = "users.conf";
    /** What a user name may be: nats.conf and subjects take it as is (Puppet allows more; those certnames get no user). */
    public static final Pattern CERTNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    /** Placeholders of the role templates (and of the spec's extra subjects): the pod fills them per user. */
    public static final String CERTNAME_HOLE = "@CERTNAME@", MD5_HOLE = "@MD5@", SHA256_HOLE = "@SHA256@";
    /**
     * The users list's first entry, which no certificate can map to (no DNS name has a space before a colon): a users list
     * that is empty would turn verify_and_map's check off (nats-server auth.go: the mapping runs only with users).
     */
    static final String NO_IDENTITY = "no identity : the users list is never empty";

    public enum Role {
        NODE("n"), CLIENT("c"), PRIVILEGED("p");

        public final String code;

        Role(String code) {
            this.code = code;
        }

        public static Role of(String code) {
            for (Role r : values()) if (r.code.equals(code)) return r;
            throw new IllegalArgumentException("no role " + code);
        }
    }

    private ChoriaPermissions() {}

    public static boolean enabled(NatsClusterSpec spec) {
        return spec.getAuthorization() != null;
    }

    /** A certname's role: privileged first (it is also a client name in Choria's defaults), then client, else node. */
    public static Role role(AuthorizationSpec a, String certname) {
        return roles(a).apply(certname);
    }

    /** {@link #role} with the spec's patterns compiled once: a sync cuts the roles of every certname of the estate. */
    public static java.util.function.Function<String, Role> roles(AuthorizationSpec a) {
        List<Pattern> privileged = a.getPrivilegedCertnames().stream().map(Pattern::compile).toList();
        List<Pattern> clients = a.getClientCertnames().stream().map(Pattern::compile).toList();
        return certname -> findsAny(privileged, certname) ? Role.PRIVILEGED : findsAny(clients, certname) ? Role.CLIENT : Role.NODE;
    }

    private static boolean findsAny(List<Pattern> patterns, String certname) {
        for (Pattern p : patterns) if (p.matcher(certname).find()) return true;
        return false;
    }

    /** A Puppet-mode caller's id, as go-choria makes it without a JWT (choria/framework.go:715). */
    public static String callerId(String certname) {
        return "choria=" + certname;
    }

    /** The pinned list's entry for a key mapped to {@code certname}: key, role, certname, and for clients the reply hashes. */
    public static String entry(String key, Role role, String certname) {
        if (role == Role.NODE) return key + " " + role.code + " " + certname;
        String caller = callerId(certname);
        return key + " " + role.code + " " + certname + " " + Digests.md5Hex(caller) + " " + Digests.sha256Hex(caller);
    }

    public static List<String> publish(AuthorizationSpec a, Role role) {
        List<String> s = new ArrayList<>();
        switch (role) {
            case NODE -> {
                s.addAll(List.of("choria.lifecycle.>", "choria.machine.transition", "choria.machine.watcher.>"));
                for (String c : a.getCollectives()) {
                    s.addAll(List.of(c + ".reply.>", c + ".broadcast.agent.registration", "choria.federation." + c + ".collective"));
                }
                s.addAll(a.getNodes().getPublish());
            }
            case CLIENT, PRIVILEGED -> {
                for (String c : a.getCollectives()) s.addAll(List.of(c + ".broadcast.agent.>", c + ".broadcast.service.>", c + ".node.>"));
                s.addAll(List.of("choria.federation.*.federation", "$SYS.REQ.USER.INFO"));
                s.addAll((role == Role.CLIENT ? a.getClients() : a.getPrivileged()).getPublish());
            }
        }
        return s;
    }

    public static List<String> subscribe(AuthorizationSpec a, Role role) {
        List<String> s = new ArrayList<>();
        for (String c : a.getCollectives()) {
            switch (role) {
                case NODE -> s.addAll(List.of(c + ".broadcast.agent.>", c + ".broadcast.service.>", c + ".node." + CERTNAME_HOLE));
                case CLIENT -> s.addAll(List.of(c + ".reply." + MD5_HOLE + ".>", c + ".reply." + SHA256_HOLE + ".>"));
                case PRIVILEGED -> s.add(c + ".reply.>");
            }
        }
        s.addAll((role == Role.NODE ? a.getNodes() : role == Role.CLIENT ? a.getClients() : a.getPrivileged()).getSubscribe());
        return s;
    }

    /** A role's users entry, one line, with the placeholders the pod fills in. */
    public static String template(AuthorizationSpec a, Role role) {
        return "{user: \"" + CERTNAME_HOLE + "\", permissions: {publish: {allow: " + array(publish(a, role)) + "}, subscribe: {allow: "
                + array(subscribe(a, role)) + "}}}";
    }

    /** The entry that keeps the users list from being empty. */
    public static String noIdentity() {
        return "{user: " + NatsConfig.quote(NO_IDENTITY) + ", permissions: {publish: {deny: [\">\"]}, subscribe: {deny: [\">\"]}}}";
    }

    /** One user as the pod writes it (tests, render of one file): what the templates give for an entry. */
    public static String user(AuthorizationSpec a, String entry) {
        String[] f = entry.split(" ");
        String t = template(a, Role.of(f[1])).replace(CERTNAME_HOLE, f[2]);
        return f.length < 5 ? t : t.replace(MD5_HOLE, f[3]).replace(SHA256_HOLE, f[4]);
    }

    /** nats.conf's top-level part: the users the pod writes from the pinned list. */
    public static String mainConfigPart() {
        // include is relative to nats.conf's directory, as pinned_certs.conf's in the tls block.
        return "authorization {\n  include \"../pinned/" + USERS_FILE + "\"\n}\n";
    }

    private static String array(List<String> subjects) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < subjects.size(); i++) b.append(i == 0 ? "" : ", ").append(NatsConfig.quote(subjects.get(i)));
        return b.append(']').toString();
    }
}
