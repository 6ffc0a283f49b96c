package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.DERPrintableString;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/**
 * A certificate signing request as a Puppet agent sends it: the certname as CN, the names the
 * brokers are reached by as a subjectAltName extension request (Puppet signs them only with
 * {@code allow-subject-alt-names: true}), and the optional {@code challengePassword} attribute
 * that policy-based autosigning reads (an agent puts it there from csr_attributes.yaml).
 */
public final class CertificateSigningRequests {
    private CertificateSigningRequests() {}

    /** A new key pair of the spec's algorithm (on the same bounded pool as certificate issue). */
    public static KeyPair newKeyPair(KeyAlgorithm alg) throws PkiException {
        try {
            return KeyAlgorithms.generate(alg);
        } catch (GeneralSecurityException e) {
            throw new PkiException(io.choria.natsoperator.api.Reason.KeyGenerationFailed, "key generation failed: " + e.getMessage());
        }
    }

    public static String csrPem(KeyPair keys, String certname, List<String> altNames, Optional<String> challengePassword) {
        try {
            var subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, certname).build();
            var builder = new JcaPKCS10CertificationRequestBuilder(subject, keys.getPublic());
            ExtensionsGenerator extensions = new ExtensionsGenerator();
            if (!altNames.isEmpty()) {
                extensions.addExtension(Extension.subjectAlternativeName, false, CertificateAuthority.subjectAltNames(altNames));
            }
            builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
            challengePassword.ifPresent(p -> builder.addAttribute(PKCSObjectIdentifiers.pkcs_9_at_challengePassword, new DERPrintableString(p)));
            String sigAlg = keys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            PKCS10CertificationRequest csr = builder.build(new JcaContentSignerBuilder(sigAlg).build(keys.getPrivate()));
            return Pem.encode("CERTIFICATE REQUEST", csr.getEncoded());
        } catch (IOException | OperatorCreationException e) {
            throw new IllegalStateException("CSR encoding failed", e);
        }
    }

    /** Whether {@code keyPem} is a usable private key of algorithm {@code alg}. */
    public static boolean isKeyOf(String keyPem, KeyAlgorithm alg) {
        try {
            java.security.PrivateKey key = Pem.privateKey(keyPem);
            return switch (alg) {
                case RSA_2048 -> key instanceof java.security.interfaces.RSAPrivateKey rsa && rsa.getModulus().bitLength() == 2048;
                case EC_P256 -> key instanceof java.security.interfaces.ECPrivateKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256;
            };
        } catch (Pem.PemException e) {
            return false;
        }
    }

    /** Whether the first certificate in {@code certPem} is for the private key {@code keyPem}. */
    public static boolean certificateMatchesKey(String certPem, String keyPem) {
        try {
            var certs = Pem.certificates(certPem);
            return !certs.isEmpty() && KeyPairs.matches(Pem.privateKey(keyPem), certs.get(0).getPublicKey());
        } catch (Pem.PemException e) {
            return false;
        }
    }

    /** The private key as PKCS#8 PEM, as the TLS Secret holds it. */
    public static String privateKeyPem(KeyPair keys) {
        return Pem.pkcs8(keys.getPrivate());
    }
}
