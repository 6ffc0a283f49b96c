package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Decides whether a broker certificate in a Secret can stay or must be re-issued.
 * Reasons are short and end up in events and condition messages.
 */
public final class RenewalPolicy {

    private RenewalPolicy() {
    }

    public static Optional<String> renewalReason(String existingCertPem, String existingKeyPem, CertificateAuthority ca,
                                                 Collection<String> requiredDnsNames, KeyAlgorithm alg,
                                                 int renewBeforeDays, Instant now) {
        return renewalReason(existingCertPem, existingKeyPem, info -> info.issuedBy(ca), requiredDnsNames, alg, renewBeforeDays, now);
    }

    /** As above, with "issued by our CA" decided by {@code fromTheCa} (Puppet enrolment has the CA's bundle, not its key). */
    public static Optional<String> renewalReason(String existingCertPem, String existingKeyPem, java.util.function.Predicate<CertificateInfo> fromTheCa,
                                                 Collection<String> requiredDnsNames, KeyAlgorithm alg,
                                                 int renewBeforeDays, Instant now) {
        if (existingCertPem == null || existingCertPem.isBlank()) {
            return Optional.of("no certificate yet");
        }
        CertificateInfo info;
        try {
            info = CertificateInfo.parse(existingCertPem);
        } catch (PkiException e) {
            return Optional.of("certificate unparseable");
        }
        if (!fromTheCa.test(info)) {
            return Optional.of("issued by a different CA");
        }
        Optional<KeyAlgorithm> current = KeyAlgorithms.of(info.publicKey());
        if (current.isEmpty() || current.get() != alg) {
            return Optional.of("key algorithm changed (" + current.map(KeyAlgorithm::specName).orElse(info.publicKey().getAlgorithm())
                    + " -> " + alg.specName() + ")");
        }
        if (existingKeyPem == null || existingKeyPem.isBlank()) {
            return Optional.of("no private key");
        }
        PrivateKey key;
        try {
            key = Pem.privateKey(existingKeyPem);
        } catch (Pem.PemException e) {
            return Optional.of("private key unparseable");
        }
        if (!KeyPairs.matches(key, info.publicKey())) {
            return Optional.of("private key does not match certificate");
        }
        Optional<String> sanChange = sanChange(info.subjectAltNames(), requiredDnsNames);
        if (sanChange.isPresent()) {
            return sanChange;
        }
        if (now.isAfter(info.notAfter())) {
            return Optional.of("expired " + info.notAfter());
        }
        if (!now.isBefore(renewalTime(info.notAfter(), renewBeforeDays))) {
            return Optional.of("expires " + info.notAfter() + ", within renewBeforeDays=" + renewBeforeDays);
        }
        return Optional.empty();
    }

    /** When the certificate becomes due; the reconciler schedules its next wake-up for then. */
    public static Instant renewalTime(Instant notAfter, int renewBeforeDays) {
        return notAfter.minus(Duration.ofDays(renewBeforeDays));
    }

    // Extra names count too: a name dropped from extraSANs, or a pod removed by scaling down,
    // should no longer be vouched for by the certificate.
    private static Optional<String> sanChange(Set<String> present, Collection<String> required) {
        Set<String> wanted = required.stream().map(CertificateInfo::normalizeName).collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(wanted);
        missing.removeAll(present);
        Set<String> extra = new TreeSet<>(present);
        extra.removeAll(wanted);
        if (missing.isEmpty() && extra.isEmpty()) {
            return Optional.empty();
        }
        StringBuilder sb = new StringBuilder("SANs changed (");
        if (!missing.isEmpty()) {
            sb.append("missing: ").append(String.join(", ", missing));
        }
        if (!extra.isEmpty()) {
            sb.append(missing.isEmpty() ? "" : "; ").append("no longer wanted: ").append(String.join(", ", extra));
        }
        return Optional.of(sb.append(')').toString());
    }
}
