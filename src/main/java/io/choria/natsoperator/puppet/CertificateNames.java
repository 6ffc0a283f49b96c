package io.choria.natsoperator.puppet;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import javax.security.auth.x500.X500Principal;

/**
 * The names by which nats-server may know a certificate on its leafnode and gateway ports: its
 * email, DNS, URI and IP subject alternative names, its subject as an RFC 2253 string (most
 * specific first, as Go prints it for {@code verify_and_map}) and its CN alone. A superset is safe:
 * these names only decide which keys are pinned, and the broker still checks the name itself.
 */
public final class CertificateNames {
    private static final int EMAIL = 1, DNS = 2, URI = 6, IP = 7;

    private CertificateNames() {}

    public static Set<String> of(X509Certificate cert) {
        Set<String> names = new TreeSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if ((type == EMAIL || type == DNS || type == URI || type == IP) && san.get(1) instanceof String s) names.add(s);
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SANs: the subject still names it
        }
        String subject = cert.getSubjectX500Principal().getName(X500Principal.RFC2253);
        if (!subject.isEmpty()) names.add(subject);
        for (String rdn : subject.split(",")) {
            if (rdn.startsWith("CN=")) names.add(rdn.substring(3));
        }
        return names;
    }

    /**
     * The names nats-server's {@code verify_and_map} looks up as user names, in its order (auth.go checkClientTLSCertSubject,
     * 2.9.10 and 2.10.x): every email SAN, then every DNS SAN, then every URI SAN, each in the certificate's order. The
     * first that is a user is the user (the subject is tried only when none is; the operator names no user by subject).
     */
    public static List<String> mapped(X509Certificate cert) {
        List<String> emails = new java.util.ArrayList<>(), dns = new java.util.ArrayList<>(), uris = new java.util.ArrayList<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (!(san.get(1) instanceof String s)) continue;
                    switch ((Integer) san.get(0)) {
                        case EMAIL -> emails.add(s);
                        case DNS -> dns.add(s);
                        case URI -> uris.add(s);
                        default -> { }
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no usable SANs: nothing maps
        }
        List<String> all = new java.util.ArrayList<>(emails);
        all.addAll(dns);
        all.addAll(uris);
        return List.copyOf(all);
    }

    /**
     * Whether a certificate name covers {@code host} as nats-server's {@code verify_cert_and_check_known_urls}
     * matches a gateway URL's host (RFC 6125: equal, ignoring case, or a wildcard in the left-most label only).
     */
    public static boolean covers(String name, String host) {
        String n = name.toLowerCase(java.util.Locale.ROOT), h = host.toLowerCase(java.util.Locale.ROOT);
        if (n.equals(h)) return true;
        if (!n.startsWith("*.")) return false;
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot + 1).equals(n.substring(2));
    }
}
