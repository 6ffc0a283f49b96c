package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.bouncycastle.util.IPAddress;

/** What the operator needs to know about an existing server certificate (the first one of a chain). */
public final class CertificateInfo {

    private static final int SAN_DNS = 2;
    private static final int SAN_IP = 7;

    private final X509Certificate certificate;
    private final Set<String> dnsNames;
    private final Set<String> ipAddresses;

    private CertificateInfo(X509Certificate certificate, Set<String> dnsNames, Set<String> ipAddresses) {
        this.certificate = certificate;
        this.dnsNames = Set.copyOf(dnsNames);
        this.ipAddresses = Set.copyOf(ipAddresses);
    }

    /** Reasons reuse {@link Reason#CaCertificateInvalid}; the caller decides how to report a bad leaf. */
    public static CertificateInfo parse(String leafOrChainPem) throws PkiException {
        List<X509Certificate> certs;
        try {
            certs = Pem.certificates(leafOrChainPem);
        } catch (Pem.PemException e) {
            throw new PkiException(Reason.CaCertificateInvalid, "certificate is not valid PEM: " + e.getMessage());
        }
        if (certs.isEmpty()) {
            throw new PkiException(Reason.CaCertificateInvalid, "no PEM certificate found");
        }
        X509Certificate cert = certs.get(0);
        Set<String> dns = new TreeSet<>();
        Set<String> ips = new TreeSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if (type == SAN_DNS) {
                        dns.add(normalizeDns((String) san.get(1)));
                    } else if (type == SAN_IP) {
                        ips.add(normalizeIp((String) san.get(1)));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new PkiException(Reason.CaCertificateInvalid, "certificate subjectAltName is malformed");
        }
        return new CertificateInfo(cert, dns, ips);
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public Instant notBefore() {
        return certificate.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    public String serialHex() {
        return certificate.getSerialNumber().toString(16);
    }

    /** DNS SANs, lower-cased. */
    public Set<String> dnsNames() {
        return dnsNames;
    }

    /** IP SANs in the JDK's canonical text form. */
    Set<String> ipAddresses() {
        return ipAddresses;
    }

    /** DNS and IP SANs together, in the same normal form as {@link #normalizeName(String)}. */
    public Set<String> subjectAltNames() {
        Set<String> all = new TreeSet<>(dnsNames);
        all.addAll(ipAddresses);
        return all;
    }

    public PublicKey publicKey() {
        return certificate.getPublicKey();
    }

    /** True when the CA's current signing certificate signed this one. */
    public boolean issuedBy(CertificateAuthority ca) {
        X509Certificate issuer = ca.signingCertificate();
        if (!certificate.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            certificate.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    /** Lower-cases DNS names and canonicalises IP literals ("::1" and "0:0:0:0:0:0:0:1" are one name). */
    public static String normalizeName(String name) {
        return IPAddress.isValid(name) ? normalizeIp(name) : normalizeDns(name);
    }

    private static String normalizeDns(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static String normalizeIp(String literal) {
        try {
            // A literal is only parsed, never resolved.
            return InetAddress.getByName(literal).getHostAddress();
        } catch (UnknownHostException e) {
            return literal;
        }
    }

    @Override
    public String toString() {
        return "CertificateInfo[subject=" + CertificateAuthority.subject(certificate) + ", serial=" + serialHex()
                + ", notAfter=" + notAfter() + ", sans=" + subjectAltNames() + "]";
    }
}
