package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Puppet CA as enrolment sees it: its certificates only (root and intermediate, Puppet's
 * {@code ca_crt.pem}), never its key. It checks that a certificate Puppet signed chains to it
 * (PKIX, as nats-server and Choria's clients verify), and builds the chain a broker serves.
 */
public final class TrustBundle {
    private final List<X509Certificate> certificates;

    private TrustBundle(List<X509Certificate> certificates) {
        this.certificates = List.copyOf(certificates);
    }

    public static TrustBundle parse(String pem) throws PkiException {
        if (pem == null || pem.isBlank()) throw new PkiException(Reason.CaCertificateMissing, "CA certificate bundle is empty");
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(pem);
        } catch (Pem.PemException e) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle is not valid PEM: " + e.getMessage());
        }
        if (certs.isEmpty()) throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle holds no PEM certificate");
        if (certs.size() > CertificateAuthority.MAX_BUNDLE_CERTIFICATES) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle holds " + certs.size()
                    + " certificates, more than the " + CertificateAuthority.MAX_BUNDLE_CERTIFICATES + " accepted");
        }
        if (certs.stream().noneMatch(TrustBundle::selfSigned)) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle holds no root (self-signed) certificate");
        }
        return new TrustBundle(certs);
    }

    public String pem() {
        return Pem.certificates(certificates);
    }

    /**
     * Empty when {@code leafPem} (a leaf, perhaps followed by its chain) verifies to a root of this
     * bundle at {@code now} by PKIX (path length, name constraints, validity, key usage of the CAs);
     * otherwise why not.
     */
    public Optional<String> verificationProblem(String leafPem, Instant now) {
        try {
            List<X509Certificate> given = Pem.certificates(leafPem);
            if (given.isEmpty()) return Optional.of("no certificate");
            List<X509Certificate> path = pathFrom(given.get(0));
            X509Certificate root = issuerOf(path.get(path.size() - 1));
            if (root == null) return Optional.of("no issuer of " + path.get(path.size() - 1).getIssuerX500Principal() + " in the CA bundle");
            if (root != path.get(path.size() - 1)) path.add(root);
            ChainVerifier.verify(path, now); // the same PKIX check as certificates the operator issues itself
            return Optional.empty();
        } catch (Pem.PemException e) {
            return Optional.of("not valid PEM: " + e.getMessage());
        } catch (PkiException e) {
            return Optional.of(e.getMessage());
        }
    }

    /**
     * Empty when {@code crl} is signed by a CA certificate of this bundle with the CRL's issuer name and is
     * still current at {@code now} (before its nextUpdate); otherwise why not. A CRL anyone could have made,
     * or an old one replayed, must not decide who is admitted.
     */
    public Optional<String> crlProblem(java.security.cert.X509CRL crl, Instant now) {
        String issuer = crl.getIssuerX500Principal().getName();
        boolean named = false;
        for (X509Certificate ca : certificates) {
            if (!ca.getSubjectX500Principal().equals(crl.getIssuerX500Principal())) continue;
            named = true;
            try {
                crl.verify(ca.getPublicKey());
                if (crl.getNextUpdate() != null && !now.isBefore(crl.getNextUpdate().toInstant())) {
                    return Optional.of("the CRL of " + issuer + " is out of date: its nextUpdate " + crl.getNextUpdate().toInstant()
                            + " has passed");
                }
                return Optional.empty();
            } catch (GeneralSecurityException e) {
                // another certificate of the same name may have signed it (a renewed CA): try the next one
            }
        }
        return Optional.of(named ? "the CRL of " + issuer + " is not signed by that CA's key in the CA bundle"
                : "the CRL's issuer " + issuer + " is not in the CA bundle");
    }

    /** The leaf followed by the bundle's intermediates up to (not including) the root: what a broker serves. */
    public String servedChainPem(String leafPem) throws PkiException {
        try {
            List<X509Certificate> given = Pem.certificates(leafPem);
            if (given.isEmpty()) throw new PkiException(Reason.CertificateNotTrusted, "no certificate");
            List<X509Certificate> chain = new ArrayList<>(pathFrom(given.get(0)));
            return Pem.certificates(chain);
        } catch (Pem.PemException e) {
            throw new PkiException(Reason.CertificateNotTrusted, "signed certificate is not valid PEM: " + e.getMessage());
        }
    }

    /** Leaf, then each issuer found in the bundle, stopping before a self-signed root (bounded by the bundle size). */
    private List<X509Certificate> pathFrom(X509Certificate leaf) {
        List<X509Certificate> path = new ArrayList<>(List.of(leaf));
        X509Certificate current = leaf;
        for (int i = 0; i < certificates.size() && !selfSigned(current); i++) {
            X509Certificate issuer = issuerOf(current);
            if (issuer == null || selfSigned(issuer)) break;
            path.add(issuer);
            current = issuer;
        }
        return path;
    }

    private X509Certificate issuerOf(X509Certificate cert) {
        for (X509Certificate c : certificates) {
            if (!c.getSubjectX500Principal().equals(cert.getIssuerX500Principal())) continue;
            try {
                cert.verify(c.getPublicKey());
                return c;
            } catch (GeneralSecurityException e) {
                // another certificate of that name (e.g. an old CA beside the new); keep looking
            }
        }
        return null;
    }

    private static boolean selfSigned(X509Certificate c) {
        return CertificateAuthority.isSelfSigned(c);
    }

    /**
     * nats-server's {@code pinned_certs} entry for a certificate: lower-case hex SHA-256 of its
     * DER SubjectPublicKeyInfo (server/opts.go, the same in 2.9 and 2.10).
     */
    public static String publicKeyPin(X509Certificate cert) {
        return Digests.sha256Hex(cert.getPublicKey().getEncoded());
    }

    /** {@link #publicKeyPin} of the first certificate in {@code pem}. */
    public static String publicKeyPin(String pem) throws PkiException {
        try {
            List<X509Certificate> certs = Pem.certificates(pem);
            if (certs.isEmpty()) throw new PkiException(Reason.CertificateNotTrusted, "no certificate");
            return publicKeyPin(certs.get(0));
        } catch (Pem.PemException e) {
            throw new PkiException(Reason.CertificateNotTrusted, "not valid PEM: " + e.getMessage());
        }
    }
}
