package io.choria.natsoperator.puppet;

import io.choria.natsoperator.api.AuthorizationSpec;
import io.choria.natsoperator.model.ChoriaPermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * spec.authorization's users, cut from a sync: a user per certname of the admitted keys, and for each key the pinned list's
 * entry naming the user its certificate maps to ({@link ChoriaPermissions#entry}). The operator maps each certificate as
 * nats-server's {@code verify_and_map} will ({@link CertificateNames#mapped}: the first SAN that is a user), and refuses
 * (drops the key of) a certificate that
 * <ul>
 * <li>maps to no user: it carries no DNS name equal to its certname (Puppet Server 7 always adds {@code DNS:<certname>},
 * certificate_authority.clj ensure-ext-list-has-cn-san; an older CA may not), or its certname cannot be a user name;</li>
 * <li>maps to another certname's user: one of its alternative names is another node's certname, and it would act as that
 * node (nats-server matches names, not keys).</li>
 * </ul>
 * The brokers' own key stays in the list without a user (nothing of theirs connects to the client port as a node).
 *
 * <p>{@code refused}: certname → why, sorted.
 */
public record NodeIdentities(Set<String> entries, int nodes, int clients, int privileged, Map<String, String> refused) {
    /** Names shown in the status; the rest are counted. */
    static final int REFUSED_SHOWN = 5;

    public static NodeIdentities of(InventorySync.Result result, Set<String> admitted, AuthorizationSpec authorization, String ownKey) {
        var roles = ChoriaPermissions.roles(authorization);
        Map<String, ChoriaPermissions.Role> users = new HashMap<>();
        for (String key : admitted) {
            if (key.equals(ownKey)) continue;
            for (String certname : result.certnamesByKey().getOrDefault(key, Set.of())) {
                if (ChoriaPermissions.CERTNAME.matcher(certname).matches()) users.put(certname, roles.apply(certname));
            }
        }
        Set<String> entries = new HashSet<>();
        Map<String, String> refused = new TreeMap<>();
        int[] counts = new int[ChoriaPermissions.Role.values().length];
        for (String key : admitted) {
            if (key.equals(ownKey)) {
                entries.add(key);
                continue;
            }
            Set<String> certnames = result.certnamesByKey().getOrDefault(key, Set.of());
            String user = null;
            for (String name : result.mappedByKey().getOrDefault(key, List.of())) {
                if (users.containsKey(name)) {
                    user = name;
                    break;
                }
            }
            if (user != null && certnames.contains(user)) {
                ChoriaPermissions.Role role = users.get(user);
                entries.add(ChoriaPermissions.entry(key, role, user));
                counts[role.ordinal()]++;
                continue;
            }
            String why = user != null ? "it carries " + user + ", another node's certname, so it would act as that node"
                    : certnames.stream().noneMatch(c -> ChoriaPermissions.CERTNAME.matcher(c).matches())
                            ? "a NATS user name takes only letters, digits, '.', '_' and '-'"
                            : "no DNS name of it is its certname (re-issue it from Puppet Server 6 or later, which adds DNS:<certname>)";
            for (String certname : certnames.isEmpty() ? Set.of("key " + key.substring(0, 12)) : certnames) refused.put(certname, why);
        }
        return new NodeIdentities(entries, counts[ChoriaPermissions.Role.NODE.ordinal()], counts[ChoriaPermissions.Role.CLIENT.ordinal()],
                counts[ChoriaPermissions.Role.PRIVILEGED.ordinal()], refused);
    }

    /** The users each broker holds (the brokers' memory grows with them: model.BrokerCapacity). */
    public int users() {
        return nodes + clients + privileged;
    }

    /** For the status: the users by role, and the certificates refused (the first few named, with why). */
    public String summary() {
        StringBuilder b = new StringBuilder("as NATS users: ").append(nodes).append(" nodes, ").append(clients).append(" clients, ")
                .append(privileged).append(" privileged clients");
        if (refused.isEmpty()) return b.toString();
        b.append("; ").append(refused.size()).append(refused.size() == 1 ? " certificate" : " certificates").append(" refused: ");
        List<String> shown = new ArrayList<>();
        for (var e : refused.entrySet()) {
            if (shown.size() == REFUSED_SHOWN) break;
            shown.add(e.getKey() + " (" + e.getValue() + ")");
        }
        b.append(String.join(", ", shown));
        if (refused.size() > REFUSED_SHOWN) b.append(" and ").append(refused.size() - REFUSED_SHOWN).append(" more");
        return b.toString();
    }
}
