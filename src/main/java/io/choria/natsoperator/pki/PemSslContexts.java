package io.choria.natsoperator.pki;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** SSLContexts built straight from PEM strings, so nothing touches the file system. */
public final class PemSslContexts {

    private PemSslContexts() {
    }

    /** Client context presenting {@code certPem} (leaf first, chain may follow) and trusting only {@code caPem}. */
    public static SSLContext clientContext(String certPem, String keyPem, String caPem) throws GeneralSecurityException {
        char[] password = randomPassword();
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keyStore(certPem, keyPem, password), password);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), trustManagers(caPem).getTrustManagers(), null);
        return ctx;
    }

    /** Context that verifies the server against {@code caPem} and presents no certificate of its own. */
    public static SSLContext trustingContext(String caPem) throws GeneralSecurityException {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustManagers(caPem).getTrustManagers(), null);
        return ctx;
    }

    /** In-memory PKCS12 key store with one entry, alias {@code "client"}. */
    public static KeyStore keyStore(String certPem, String keyPem, char[] password) throws GeneralSecurityException {
        List<X509Certificate> chain = certificates(certPem);
        PrivateKey key;
        try {
            key = Pem.privateKey(keyPem);
        } catch (Pem.PemException e) {
            throw new InvalidKeySpecException(e.getMessage());
        }
        KeyStore ks = emptyStore("PKCS12");
        ks.setKeyEntry("client", key, password, chain.toArray(X509Certificate[]::new));
        return ks;
    }

    /** In-memory PKCS12 trust store holding every certificate of {@code caPem}. */
    public static KeyStore trustStore(String caPem) throws GeneralSecurityException {
        KeyStore ks = emptyStore("PKCS12");
        List<X509Certificate> cas = certificates(caPem);
        for (int i = 0; i < cas.size(); i++) {
            ks.setCertificateEntry("ca-" + i, cas.get(i));
        }
        return ks;
    }

    private static TrustManagerFactory trustManagers(String caPem) throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trustStore(caPem));
        return tmf;
    }

    private static List<X509Certificate> certificates(String pem) throws CertificateException {
        try {
            List<X509Certificate> certs = Pem.certificates(pem);
            if (certs.isEmpty()) {
                throw new CertificateException("no PEM certificate found");
            }
            return certs;
        } catch (Pem.PemException e) {
            throw new CertificateException(e.getMessage());
        }
    }

    private static KeyStore emptyStore(String type) throws GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(type);
        try {
            ks.load(null, null);
        } catch (IOException e) {
            throw new java.security.KeyStoreException(e);
        }
        return ks;
    }

    // The store never leaves memory; the password only satisfies the KeyStore API.
    private static char[] randomPassword() {
        SecureRandom r = new SecureRandom();
        char[] pw = new char[24];
        for (int i = 0; i < pw.length; i++) {
            pw[i] = (char) ('a' + r.nextInt(26));
        }
        return pw;
    }
}
