package io.choria.natsoperator.pki;

import java.io.IOException;
import java.io.StringReader;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.X509TrustedCertificateBlock;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/** PEM decoding and encoding; the JDK's own providers do the crypto so no global provider is registered. */
final class Pem {

    /** Why a PEM text could not be used; the message never quotes the input. */
    static final class PemException extends Exception {
        private final boolean encrypted;

        PemException(String message, boolean encrypted) {
            super(message);
            this.encrypted = encrypted;
        }

        boolean encrypted() {
            return encrypted;
        }
    }

    private Pem() {
    }

    /** Every certificate in the text, in order; other PEM blocks and surrounding text are ignored. */
    static List<X509Certificate> certificates(String pem) throws PemException {
        List<X509Certificate> certs = new ArrayList<>();
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        try (PEMParser parser = new PEMParser(new StringReader(pem == null ? "" : pem))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                X509CertificateHolder holder = o instanceof X509CertificateHolder h ? h
                        : o instanceof X509TrustedCertificateBlock t ? t.getCertificateHolder() : null;
                if (holder != null) {
                    certs.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            throw new PemException("malformed PEM certificate data (" + e.getClass().getSimpleName() + ")", false);
        }
        return certs;
    }

    /**
     * The first private key in the text: PKCS#1 (what Puppet writes), PKCS#8, or SEC1 EC.
     * Exception messages deliberately omit the parser's message, which may echo input bytes.
     */
    static PrivateKey privateKey(String pem) throws PemException {
        String text = pem == null ? "" : pem;
        if (text.contains("Proc-Type: 4,ENCRYPTED") || text.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            throw new PemException("private key is encrypted", true);
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = new PEMParser(new StringReader(text))) {
            Object o;
            while ((o = parser.readObject()) != null) {
                if (o instanceof PEMKeyPair kp) {
                    return converter.getPrivateKey(kp.getPrivateKeyInfo());
                }
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
                    throw new PemException("private key is encrypted", true);
                }
                // EC PARAMETERS blocks (openssl ecparam -genkey) and certificates are skipped.
            }
        } catch (PemException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new PemException("malformed PEM private key (" + e.getClass().getSimpleName() + ")", false);
        }
        throw new PemException("no PEM private key found (expected RSA PRIVATE KEY, PRIVATE KEY or EC PRIVATE KEY)", false);
    }

    static String encode(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static String certificate(X509Certificate cert) {
        try {
            return encode("CERTIFICATE", cert.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("cannot encode certificate " + cert.getSubjectX500Principal(), e);
        }
    }

    static String certificates(List<X509Certificate> certs) {
        StringBuilder sb = new StringBuilder();
        certs.forEach(c -> sb.append(certificate(c)));
        return sb.toString();
    }

    /** PKCS#8, the one form every TLS stack (Go's nats-server, Java, openssl) reads. */
    static String pkcs8(PrivateKey key) {
        return encode("PRIVATE KEY", key.getEncoded());
    }
}
