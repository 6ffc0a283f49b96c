package io.choria.natsoperator.puppet;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * spec.tls.puppet.pinnedCertnames: which of the certificates the Puppet CA signed the client port admits. A Puppet CA signs
 * every agent of the estate (web servers, databases, workstations), not only Choria nodes; a pattern keeps the list to those
 * that connect, and keeps it small. The whole certname must match (Java regular expression); a key is admitted when any
 * certname it was signed under matches.
 */
public final class PinnedCertnames {
    private PinnedCertnames() {}

    /** The admitted keys of {@code result} whose certname matches {@code pattern} (null or empty: all), as a new mutable set. */
    public static Set<String> admitted(InventorySync.Result result, String pattern) {
        if (pattern == null || pattern.isEmpty()) return new HashSet<>(result.admitted());
        Pattern p = Pattern.compile(pattern);
        Set<String> admitted = new HashSet<>();
        for (String key : result.admitted()) {
            Set<String> certnames = result.certnamesByKey().getOrDefault(key, Set.of());
            for (String certname : certnames) {
                if (p.matcher(certname).matches()) {
                    admitted.add(key);
                    break;
                }
            }
        }
        return admitted;
    }
}
