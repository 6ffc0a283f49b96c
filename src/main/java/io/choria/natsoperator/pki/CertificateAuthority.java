package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/** A CA loaded from a PEM bundle and its key (typically Puppet's), able to issue broker certificates. */
public final class CertificateAuthority {

    // Tolerate nodes and brokers whose clocks run a little behind the operator's.
    static final Duration BACKDATE = Duration.ofMinutes(5);

    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * A CA bundle is the CA's chain, perhaps beside an old root or a second CA being rolled in: a
     * handful of certificates. More than this is refused ({@code CaCertificateInvalid}) rather than
     * searched and chained on every reconcile that loads it.
     */
    static final int MAX_BUNDLE_CERTIFICATES = 50;

    private final List<X509Certificate> bundle;
    private final List<X509Certificate> chain;
    private final PrivateKey signingKey;
    private final String fingerprint;

    private CertificateAuthority(List<X509Certificate> bundle, List<X509Certificate> chain, PrivateKey signingKey) {
        this.bundle = List.copyOf(bundle);
        this.chain = List.copyOf(chain);
        this.signingKey = signingKey;
        this.fingerprint = sha256Hex(chain.get(0));
    }

    public static CertificateAuthority load(String bundlePem, String keyPem, Instant now) throws PkiException {
        if (bundlePem == null || bundlePem.isBlank()) {
            throw new PkiException(Reason.CaCertificateMissing, "CA certificate is empty");
        }
        if (keyPem == null || keyPem.isBlank()) {
            throw new PkiException(Reason.CaKeyMissing, "CA private key is empty");
        }
        List<X509Certificate> bundle;
        try {
            bundle = Pem.certificates(bundlePem);
        } catch (Pem.PemException e) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle is not valid PEM: " + e.getMessage());
        }
        if (bundle.isEmpty()) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle holds no PEM certificate");
        }
        if (bundle.size() > MAX_BUNDLE_CERTIFICATES) {
            throw new PkiException(Reason.CaCertificateInvalid, "CA certificate bundle holds " + bundle.size()
                    + " certificates, more than the " + MAX_BUNDLE_CERTIFICATES
                    + " accepted: give the CA's own chain (e.g. Puppet's ca_crt.pem), not a system trust store");
        }
        PrivateKey key;
        try {
            key = Pem.privateKey(keyPem);
        } catch (Pem.PemException e) {
            if (e.encrypted()) {
                throw new PkiException(Reason.CaKeyEncrypted,
                        "CA private key is encrypted; the operator needs it unencrypted (openssl pkey -in key.pem -out plain.pem)");
            }
            throw new PkiException(Reason.CaKeyInvalid, "CA private key is not usable: " + e.getMessage());
        }
        if (!key.getAlgorithm().equals("RSA") && !key.getAlgorithm().equals("EC")) {
            throw new PkiException(Reason.CaKeyInvalid, "CA private key type " + key.getAlgorithm() + " is not supported (RSA or EC)");
        }
        // Public parts first (cheap); a signature only proves a candidate, so a normal load signs once.
        var publicPart = KeyPairs.publicPartOf(key);
        X509Certificate signing = bundle.stream()
                .filter(c -> publicPart.apply(c.getPublicKey()) != KeyPairs.Match.DIFFERENT)
                .filter(c -> KeyPairs.matches(key, c.getPublicKey()))
                .findFirst()
                .orElseThrow(() -> new PkiException(Reason.CaKeyMismatch, "CA private key (" + key.getAlgorithm()
                        + ") matches none of the " + bundle.size() + " certificate(s) in the bundle: " + subjects(bundle)));
        requireCertificateAuthority(signing);
        List<X509Certificate> chain = chainFrom(signing, bundle, now);
        for (X509Certificate c : chain) {
            requireValidAt(c, now);
        }
        return new CertificateAuthority(bundle, chain, key);
    }

    private static void requireCertificateAuthority(X509Certificate cert) throws PkiException {
        if (cert.getBasicConstraints() < 0) {
            throw new PkiException(Reason.CaNotACertificateAuthority,
                    "certificate " + subject(cert) + " matching the CA key is not a CA (basicConstraints cA is not true)");
        }
        boolean[] usage = cert.getKeyUsage();
        if (usage != null && !usage[5]) {
            throw new PkiException(Reason.CaNotACertificateAuthority,
                    "certificate " + subject(cert) + " matching the CA key may not sign certificates (keyUsage lacks keyCertSign)");
        }
    }

    private static void requireValidAt(X509Certificate cert, Instant now) throws PkiException {
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        if (now.isAfter(notAfter)) {
            throw new PkiException(Reason.CaExpired, "CA certificate " + subject(cert) + " expired at " + notAfter);
        }
        if (now.isBefore(notBefore)) {
            throw new PkiException(Reason.CaExpired, "CA certificate " + subject(cert) + " is not valid before " + notBefore);
        }
    }

    /**
     * The signing certificate followed by its issuers from the bundle. When a renewed root sits next to its
     * expired predecessor (same name, same key), the one valid now is taken.
     */
    private static List<X509Certificate> chainFrom(X509Certificate signing, List<X509Certificate> bundle, Instant now) {
        List<X509Certificate> chain = new ArrayList<>(List.of(signing));
        X509Certificate current = signing;
        while (!isSelfSigned(current)) {
            X509Certificate child = current;
            Optional<X509Certificate> issuer = bundle.stream()
                    .filter(c -> !chain.contains(c) && signedBy(child, c))
                    .min((a, b) -> Boolean.compare(!validAt(a, now), !validAt(b, now)));
            if (issuer.isEmpty()) {
                break;
            }
            current = issuer.get();
            chain.add(current);
        }
        return chain;
    }

    static boolean isSelfSigned(X509Certificate cert) {
        return cert.getSubjectX500Principal().equals(cert.getIssuerX500Principal()) && signedBy(cert, cert);
    }

    static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
        if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            return false;
        }
        try {
            cert.verify(issuer.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static boolean validAt(X509Certificate cert, Instant now) {
        return !now.isBefore(cert.getNotBefore().toInstant()) && !now.isAfter(cert.getNotAfter().toInstant());
    }

    public X509Certificate signingCertificate() {
        return chain.get(0);
    }

    /** Signing certificate, then its issuers found in the bundle (root last when present). */
    List<X509Certificate> chain() {
        return chain;
    }

    /** Whether every certificate of the signing chain is valid at {@code now}, as {@link #load} demands. */
    public boolean validAt(Instant now) {
        return chain.stream().allMatch(c -> validAt(c, now));
    }

    /** Every certificate of the bundle, for clients' and brokers' {@code ca.crt}. */
    public String trustBundlePem() {
        return Pem.certificates(bundle);
    }

    /** SHA-256 of the signing certificate's DER, lower-case hex: changes exactly when the issuing CA does. */
    public String fingerprint() {
        return fingerprint;
    }

    /**
     * Key generation (half of the CPU of creating a cluster, for RSA) at most once per core,
     * first come first served: when hundreds of clusters arrive at once, fifty reconciler threads
     * do not generate fifty keys at a time, each finishing late. Measured against half the cores
     * (docs/BENCHMARKS.md): all 200 clusters 11% sooner, the first 0.5 s later.
     */
    private static final Semaphore KEY_GENERATION = new Semaphore(Math.max(1, Runtime.getRuntime().availableProcessors()), true);

    public IssuedCertificate issue(ServerCertificateRequest req, Instant now) {
        KEY_GENERATION.acquireUninterruptibly();
        try {
            return issueNow(req, now);
        } finally {
            KEY_GENERATION.release();
        }
    }

    private IssuedCertificate issueNow(ServerCertificateRequest req, Instant now) {
        try {
            KeyPair leafKeys = KeyAlgorithms.generate(req.keyAlgorithm());
            X509Certificate ca = signingCertificate();
            BigInteger serial = randomSerial();
            Instant notAfter = now.plus(Duration.ofDays(req.validityDays()));
            // No cap at the CA's notAfter: a leaf capped near an expiring CA would sit inside renewBeforeDays
            // forever and be re-issued on every reconcile; an expired CA is reported by load() instead.
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    serial,
                    Date.from(now.minus(BACKDATE)),
                    Date.from(notAfter),
                    new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, req.commonName()).build(),
                    leafKeys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            boolean rsa = req.keyAlgorithm() == KeyAlgorithm.RSA_2048;
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            // keyEncipherment only means something for RSA key transport; on an EC key it is wrong.
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(rsa ? KeyUsage.digitalSignature | KeyUsage.keyEncipherment : KeyUsage.digitalSignature));
            // Both ends of a NATS route present this certificate, so it is a client as well as a server.
            builder.addExtension(Extension.extendedKeyUsage, false,
                    new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(leafKeys.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false, authorityKeyIdentifier(ca, ext));
            builder.addExtension(Extension.subjectAlternativeName, false, subjectAltNames(req.dnsNames()));

            ContentSigner signer = new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(signingKey)).build(signingKey);
            X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(builder.build(signer));

            List<X509Certificate> served = new ArrayList<>(List.of(leaf));
            chain.stream().filter(c -> !isSelfSigned(c)).forEach(served::add);
            return new IssuedCertificate(Pem.certificates(served), Pem.pkcs8(leafKeys.getPrivate()), trustBundlePem(),
                    leaf.getNotAfter().toInstant(), serial.toString(16), req.dnsNames());
        } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
            // Only reachable when the JDK lacks RSA/EC/SHA-256, i.e. a broken runtime.
            throw new IllegalStateException("cannot issue certificate for " + req.commonName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * PKIX-verifies a certificate this CA issued against the CA's chain up to its root (see
     * {@link ChainVerifier}); {@code CertificateChainInvalid} when a client would refuse it.
     */
    public void verifyIssued(IssuedCertificate issued, Instant now) throws PkiException {
        List<X509Certificate> served;
        try {
            served = Pem.certificates(issued.certificateChainPem());
        } catch (Pem.PemException e) {
            throw new IllegalStateException("a certificate just issued does not parse", e);
        }
        List<X509Certificate> path = new ArrayList<>(List.of(served.get(0)));
        path.addAll(chain);
        ChainVerifier.verify(path, now);
    }

    /** Points at the CA's own subjectKeyIdentifier when it has one, so chain builders match by key id. */
    private static AuthorityKeyIdentifier authorityKeyIdentifier(X509Certificate ca, JcaX509ExtensionUtils ext) {
        byte[] raw = ca.getExtensionValue(Extension.subjectKeyIdentifier.getId());
        if (raw != null) {
            byte[] keyId = ASN1OctetString.getInstance(ASN1OctetString.getInstance(raw).getOctets()).getOctets();
            return new AuthorityKeyIdentifier(keyId);
        }
        return ext.createAuthorityKeyIdentifier(ca.getPublicKey());
    }

    static GeneralNames subjectAltNames(List<String> names) {
        // IPAddress.isValid is a pure syntax check; InetAddress would resolve host names.
        return new GeneralNames(names.stream()
                .map(n -> IPAddress.isValid(n) ? new GeneralName(GeneralName.iPAddress, n) : new GeneralName(GeneralName.dNSName, n))
                .toArray(GeneralName[]::new));
    }

    /** 127 random bits, never zero: positive, unique in practice, and within the 20-octet limit. */
    private static BigInteger randomSerial() {
        BigInteger serial;
        do {
            serial = new BigInteger(127, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

    private static String sha256Hex(X509Certificate cert) {
        try {
            return Digests.sha256Hex(cert.getEncoded());
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("certificate cannot be encoded", e);
        }
    }

    static String subject(X509Certificate cert) {
        return "'" + cert.getSubjectX500Principal().getName(X500Principal.RFC2253) + "'";
    }

    private static String subjects(List<X509Certificate> certs) {
        return String.join(", ", certs.stream().map(CertificateAuthority::subject).toList());
    }

    PublicKey publicKey() {
        return signingCertificate().getPublicKey();
    }

    @Override
    public String toString() {
        return "CertificateAuthority[subject=" + subject(signingCertificate()) + ", fingerprint=" + fingerprint
                + ", chain=" + chain.size() + ", bundle=" + bundle.size() + "]";
    }
}
