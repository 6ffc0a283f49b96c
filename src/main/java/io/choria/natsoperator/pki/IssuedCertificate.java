package io.choria.natsoperator.pki;

import java.time.Instant;
import java.util.List;

/**
 * A freshly issued server certificate, ready for the {@code <name>-tls} Secret.
 *
 * @param certificateChainPem the leaf, then the signing CA and any intermediates above it, but not the
 *                            self-signed root: clients already hold the root in their trust store, and
 *                            TLS peers ignore a root sent in the chain (RFC 8446 4.4.2). When the
 *                            signing CA is itself the root this is the leaf alone.
 * @param privateKeyPem       the leaf key, PKCS#8 PEM
 * @param caBundlePem         every certificate of the CA bundle, for {@code ca.crt}
 * @param dnsNames            the names the certificate was requested for, as given (IP literals included)
 */
public record IssuedCertificate(String certificateChainPem, String privateKeyPem, String caBundlePem,
                                Instant notAfter, String serialHex, List<String> dnsNames) {

    public IssuedCertificate {
        dnsNames = List.copyOf(dnsNames);
    }

    @Override
    public String toString() {
        return "IssuedCertificate[serial=" + serialHex + ", notAfter=" + notAfter + ", dnsNames=" + dnsNames + "]";
    }
}
