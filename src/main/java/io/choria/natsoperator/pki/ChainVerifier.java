package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;
import java.security.GeneralSecurityException;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;

/**
 * Checks an issued chain the way the brokers' and nodes' TLS stacks will (RFC 5280 path
 * validation, the JDK's PKIX CertPathValidator, revocation off: Puppet CRLs are not ours to
 * fetch). A CA can sign certificates that no client accepts: a root with pathLen 0 above the
 * intermediate that signs, or a nameConstraints extension that excludes the brokers' names.
 * The operator must not serve those while saying {@code CertificateReady=True}.
 *
 * <p>When the chain ends in a self-signed root, the anchor is only the root's name and key and
 * the root itself stays in the path, so its own basicConstraints pathLen and nameConstraints are
 * enforced, as Go's crypto/x509 enforces them on roots (the JDK ignores them on an anchor
 * certificate). A bundle without its root anchors at the top of the chain, whose name
 * constraints are then passed explicitly.
 */
public final class ChainVerifier {
    private ChainVerifier() {}

    /** @param leafAndChain the leaf first, then its issuers up to the root when the bundle holds it */
    public static void verify(List<X509Certificate> leafAndChain, Instant now) throws PkiException {
        if (leafAndChain.isEmpty()) throw new PkiException(Reason.CertificateChainInvalid, "no certificate to verify");
        List<X509Certificate> path = new ArrayList<>(leafAndChain);
        X509Certificate top = path.get(path.size() - 1);
        TrustAnchor anchor;
        if (path.size() > 1 && CertificateAuthority.isSelfSigned(top)) {
            anchor = new TrustAnchor(top.getSubjectX500Principal(), top.getPublicKey(), null);
        } else {
            path.remove(path.size() - 1);
            anchor = new TrustAnchor(top, nameConstraints(top));
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            PKIXParameters params = new PKIXParameters(Set.of(anchor));
            params.setRevocationEnabled(false);
            params.setDate(Date.from(now));
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            int index = e.getIndex();
            String which = index >= 0 && index < path.size() ? " at " + CertificateAuthority.subject(path.get(index)) : "";
            throw new PkiException(Reason.CertificateChainInvalid, "the issued certificate does not verify against the CA"
                    + which + ": " + e.getMessage() + " (check the CA's basicConstraints pathLen and nameConstraints)");
        } catch (GeneralSecurityException e) {
            throw new PkiException(Reason.CertificateChainInvalid, "the issued certificate chain cannot be checked: " + e.getMessage());
        }
    }

    /** The DER of a certificate's nameConstraints (the extension's inner value), or null. */
    private static byte[] nameConstraints(X509Certificate cert) {
        byte[] ext = cert.getExtensionValue("2.5.29.30");
        if (ext == null) return null;
        return org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets();
    }
}
