package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.io.IOException;
import java.io.StringWriter;
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
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.GeneralSubtree;
import org.bouncycastle.asn1.x509.NameConstraints;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PKCS8Generator;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/**
 * Throwaway CAs for tests, built the way Puppet and openssl build theirs. Public so that other test code
 * (real nats-server TLS tests) can make CAs and client certificates with it.
 * Key generation is slow on small machines: make one per test class and share it.
 */
public final class TestCa {

    /** A certificate and its key as PEM, the shape Secrets and nats-server files take. */
    public record Pems(String certPem, String keyPem) {
        @Override
        public String toString() {
            return "Pems[certPem.length=" + certPem.length() + "]";
        }

        public SSLContext clientContext(String caPem) throws GeneralSecurityException {
            return PemSslContexts.clientContext(certPem, keyPem, caPem);
        }
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    // Only for writing encrypted keys in tests; never registered globally.
    private static final BouncyCastleProvider BC = new BouncyCastleProvider();

    private final X509Certificate certificate;
    private final KeyPair keyPair;
    private final TestCa parent;
    /**
     * The instant this CA was made at: its validity, its intermediates' and its client certificates' are
     * counted from it, and {@link #load()} checks it at this instant. A test with a clock of its own makes
     * its CA at that clock's time, so the two can never disagree (a fixed date against a CA made "now"
     * fails on every later day).
     */
    private final Instant madeAt;

    private TestCa(X509Certificate certificate, KeyPair keyPair, TestCa parent, Instant madeAt) {
        this.certificate = certificate;
        this.keyPair = keyPair;
        this.parent = parent;
        this.madeAt = madeAt;
    }

    // ---- factories -------------------------------------------------------------------------------

    public static TestCa rsaRoot(String cn) {
        return rsaRoot(cn, Instant.now());
    }

    /** An RSA root made at {@code madeAt}: the test's own clock, when it has one. */
    public static TestCa rsaRoot(String cn, Instant madeAt) {
        return root(cn, KeyAlgorithm.RSA_2048, madeAt, validFrom(madeAt), validUntil(madeAt), true, true);
    }

    public static TestCa ecRoot(String cn) {
        return ecRoot(cn, Instant.now());
    }

    public static TestCa ecRoot(String cn, Instant madeAt) {
        return root(cn, KeyAlgorithm.EC_P256, madeAt, validFrom(madeAt), validUntil(madeAt), true, true);
    }

    /** Puppet 7 style: a self-signed root and an intermediate that signs; the intermediate is returned. */
    public static TestCa rootWithIntermediate(KeyAlgorithm rootAlg, KeyAlgorithm intermediateAlg) {
        Instant now = Instant.now();
        return root("Test Root CA", rootAlg, now, validFrom(now), validUntil(now), true, true).intermediate("Test Intermediate CA", intermediateAlg);
    }

    /**
     * As Puppet's CA makes them: a root and an intermediate that signs, both RSA of {@code bits}
     * (Puppet: 4096); the intermediate is returned. Node certificates for it: {@link #issueClientCertificate(String, KeyPair)}.
     */
    public static TestCa puppetShaped(int bits) {
        Instant now = Instant.now();
        TestCa root = root("Puppet CA: storm root", rsaKeys(bits), now, validFrom(now), validUntil(now), true, true);
        KeyPair kp = rsaKeys(bits);
        X509Certificate cert = sign(new X500Name("CN=Puppet CA: storm intermediate"), kp.getPublic(), root, validFrom(now), validUntil(now),
                true, true, null, List.of());
        return new TestCa(cert, kp, root, now);
    }

    /** An RSA key pair of {@code bits} (Puppet's agents make 4096). */
    public static KeyPair rsaKeys(int bits) {
        try {
            java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CA whose validity ended a day ago. */
    public static TestCa expired(KeyAlgorithm alg) {
        Instant now = Instant.now();
        return root("Expired CA", alg, now, now.minus(Duration.ofDays(400)), now.minus(Duration.ofDays(1)), true, true);
    }

    /** A CA that only becomes valid tomorrow. */
    public static TestCa notYetValid(KeyAlgorithm alg) {
        Instant now = Instant.now();
        return root("Future CA", alg, now, now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(400)), true, true);
    }

    /** Self-signed, but basicConstraints cA=false: a server certificate handed over as a CA by mistake. */
    public static TestCa nonCa(KeyAlgorithm alg) {
        Instant now = Instant.now();
        return root("not-a-ca.example.com", alg, now, validFrom(now), validUntil(now), false, false);
    }

    /** cA=true but keyUsage without keyCertSign. */
    public static TestCa caWithoutKeyCertSign(KeyAlgorithm alg) {
        Instant now = Instant.now();
        return root("No keyCertSign CA", alg, now, validFrom(now), validUntil(now), true, false);
    }

    /**
     * A root whose basicConstraints say pathLen 0: it may sign leaves only. An intermediate under it
     * ({@link #intermediate}) then signs certificates that no PKIX client (Go's crypto/x509, openssl) accepts.
     */
    public static TestCa rootWithPathLenZero(KeyAlgorithm alg) {
        KeyPair kp = keys(alg);
        Instant now = Instant.now();
        X509Certificate cert = sign(new X500Name("CN=PathLen 0 Root CA"), kp.getPublic(), new TestCa(null, kp, null, now),
                validFrom(now), validUntil(now), true, true, null, List.of(), b -> b.replaceExtension(Extension.basicConstraints, true,
                        new BasicConstraints(0)));
        return new TestCa(cert, kp, null, now);
    }

    /** A root with a critical nameConstraints extension permitting only DNS names under {@code permittedDns}. */
    public static TestCa nameConstrained(KeyAlgorithm alg, String permittedDns) {
        KeyPair kp = keys(alg);
        var permitted = new GeneralSubtree[] {new GeneralSubtree(new GeneralName(GeneralName.dNSName, permittedDns))};
        Instant now = Instant.now();
        X509Certificate cert = sign(new X500Name("CN=Name-constrained CA"), kp.getPublic(), new TestCa(null, kp, null, now),
                validFrom(now), validUntil(now), true, true, null, List.of(), b -> b.addExtension(Extension.nameConstraints, true,
                        new NameConstraints(permitted, null)));
        return new TestCa(cert, kp, null, now);
    }

    /** A CA issued by this one, made at the instant this one was. */
    public TestCa intermediate(String cn, KeyAlgorithm alg) {
        KeyPair kp = keys(alg);
        X509Certificate cert = sign(new X500Name("CN=" + cn), kp.getPublic(), this, validFrom(madeAt), validUntil(madeAt),
                true, true, null, List.of());
        return new TestCa(cert, kp, this, madeAt);
    }

    private static TestCa root(String cn, KeyAlgorithm alg, Instant madeAt, Instant notBefore, Instant notAfter, boolean ca,
                               boolean keyCertSign) {
        return root(cn, keys(alg), madeAt, notBefore, notAfter, ca, keyCertSign);
    }

    private static TestCa root(String cn, KeyPair kp, Instant madeAt, Instant notBefore, Instant notAfter, boolean ca,
                               boolean keyCertSign) {
        X509Certificate cert = sign(new X500Name("CN=" + cn), kp.getPublic(), new TestCa(null, kp, null, madeAt),
                notBefore, notAfter, ca, keyCertSign, null, List.of());
        return new TestCa(cert, kp, null, madeAt);
    }

    /** The instant this CA was made at (see the field). */
    public Instant madeAt() {
        return madeAt;
    }

    /** More extensions, or replaced ones, on a test certificate. */
    private interface Extensions {
        void apply(X509v3CertificateBuilder b) throws IOException;
    }

    // ---- certificates ----------------------------------------------------------------------------

    public X509Certificate certificate() {
        return certificate;
    }

    public KeyPair keyPair() {
        return keyPair;
    }

    public TestCa parent() {
        return parent;
    }

    public TestCa root() {
        return parent == null ? this : parent.root();
    }

    public String certPem() {
        return Pem.certificate(certificate);
    }

    /** This certificate, then its issuers up to the root. */
    public String chainPem() {
        StringBuilder sb = new StringBuilder();
        for (TestCa c = this; c != null; c = c.parent) {
            sb.append(c.certPem());
        }
        return sb.toString();
    }

    /** Root first, then down to this certificate: the order Puppet 7 writes ca_crt.pem in. */
    public String rootFirstBundlePem() {
        List<String> pems = new ArrayList<>();
        for (TestCa c = this; c != null; c = c.parent) {
            pems.add(0, c.certPem());
        }
        return String.join("", pems);
    }

    /** The CA as the operator would load it from a Secret holding {@link #chainPem()} and a PKCS#1/SEC1 key. */
    public CertificateAuthority load() {
        try {
            return CertificateAuthority.load(chainPem(), traditionalKeyPem(), madeAt);
        } catch (PkiException e) {
            throw new IllegalStateException(e.reason() + ": " + e.getMessage(), e);
        }
    }

    /** An EC P-256 client certificate (clientAuth) signed by this CA, like a Choria node's Puppet certificate. */
    public Pems issueClientCertificate(String cn) {
        return issueClientCertificate(cn, keys(KeyAlgorithm.EC_P256));
    }

    /** An EC P-256 client certificate whose DNS SANs are {@code dns}, in that order (e.g. alternative names before the certname). */
    public Pems issueClientCertificate(String cn, List<String> dns) {
        KeyPair kp = keys(KeyAlgorithm.EC_P256);
        X509Certificate cert = sign(new X500Name("CN=" + cn), kp.getPublic(), this, validFrom(madeAt), madeAt.plus(Duration.ofDays(30)),
                false, false, new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, dns);
        return new Pems(Pem.certificate(cert), Pem.pkcs8(kp.getPrivate()));
    }

    /** A client certificate (clientAuth) for {@code kp}'s public key, signed by this CA. */
    public Pems issueClientCertificate(String cn, KeyPair kp) {
        X509Certificate cert = sign(new X500Name("CN=" + cn), kp.getPublic(), this, validFrom(madeAt), madeAt.plus(Duration.ofDays(30)),
                false, false, new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth}, List.of(cn));
        return new Pems(Pem.certificate(cert), Pem.pkcs8(kp.getPrivate()));
    }

    /**
     * Signs a PEM CSR as Puppet's CA does with {@code allow-subject-alt-names}: the CSR's subject, key
     * and DNS subject alternative names plus the certname (the subject's CN; Puppet always adds it, and
     * enrolment expects it there: without it every reconcile saw changed names and enrolled again),
     * serverAuth and clientAuth, valid for ten years from this CA's making. Returns the certificate, PEM.
     */
    public String signRequest(String csrPem) {
        try (var parser = new org.bouncycastle.openssl.PEMParser(new java.io.StringReader(csrPem))) {
            var csr = (org.bouncycastle.pkcs.PKCS10CertificationRequest) parser.readObject();
            PublicKey key = new org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest(csr).getPublicKey();
            List<String> dns = new ArrayList<>();
            for (var attr : csr.getAttributes(org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                var ext = org.bouncycastle.asn1.x509.Extensions.getInstance(attr.getAttrValues().getObjectAt(0));
                GeneralNames sans = GeneralNames.fromExtensions(ext, Extension.subjectAlternativeName);
                if (sans == null) continue;
                for (GeneralName n : sans.getNames()) {
                    if (n.getTagNo() == GeneralName.dNSName) dns.add(n.getName().toString());
                }
            }
            var cn = csr.getSubject().getRDNs(org.bouncycastle.asn1.x500.style.BCStyle.CN);
            if (cn.length > 0) {
                String certname = org.bouncycastle.asn1.x500.style.IETFUtils.valueToString(cn[0].getFirst().getValue());
                if (!dns.contains(certname)) dns.add(certname);
            }
            X509Certificate cert = sign(csr.getSubject(), key, this, validFrom(madeAt), validUntil(madeAt), false, false,
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}, dns);
            return Pem.certificate(cert);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign test CSR", e);
        }
    }

    /** A CRL this CA signs, issued at {@code thisUpdate}, listing {@code revoked}, as Puppet serves it (PEM, CRL number 1). */
    public String crlPem(Instant thisUpdate, Instant nextUpdate, BigInteger... revoked) {
        return crlPem(keyPair.getPrivate(), thisUpdate, nextUpdate, revoked);
    }

    /** The same, signed with another key under this CA's name: what a forger could serve. */
    public String crlPem(PrivateKey signingKey, Instant thisUpdate, Instant nextUpdate, BigInteger... revoked) {
        try {
            var b = new org.bouncycastle.cert.X509v2CRLBuilder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    Date.from(thisUpdate));
            b.setNextUpdate(Date.from(nextUpdate));
            b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.ONE));
            for (BigInteger serial : revoked) b.addCRLEntry(serial, Date.from(thisUpdate), org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
            var crl = new org.bouncycastle.cert.jcajce.JcaX509CRLConverter().getCRL(
                    b.build(new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(signingKey)).build(signingKey)));
            StringWriter w = new StringWriter();
            try (JcaPEMWriter p = new JcaPEMWriter(w)) {
                p.writeObject(crl);
            }
            return w.toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot build test CRL", e);
        }
    }

    // ---- keys ------------------------------------------------------------------------------------

    /** PKCS#1 ({@code RSA PRIVATE KEY}) for RSA, SEC1 ({@code EC PRIVATE KEY}) for EC: what Puppet and openssl write. */
    public String traditionalKeyPem() {
        return keyPair.getPrivate().getAlgorithm().equals("EC") ? sec1WithParameters()
                : write(() -> new JcaMiscPEMGenerator(keyPair.getPrivate()));
    }

    public String pkcs1KeyPem() {
        requireAlgorithm("RSA");
        return traditionalKeyPem();
    }

    public String sec1KeyPem() {
        requireAlgorithm("EC");
        return traditionalKeyPem();
    }

    /**
     * SEC1 the way openssl writes it: curve OID and public point inside the structure. The JDK's PKCS#8
     * encoding keeps the curve outside, so a plain re-wrap would give a key that openssl cannot read either.
     */
    private String sec1WithParameters() {
        try {
            PrivateKeyInfo info = PrivateKeyInfo.getInstance(keyPair.getPrivate().getEncoded());
            java.security.interfaces.ECPrivateKey k = (java.security.interfaces.ECPrivateKey) keyPair.getPrivate();
            SubjectPublicKeyInfo pub = SubjectPublicKeyInfo.getInstance(keyPair.getPublic().getEncoded());
            ECPrivateKey sec1 = new ECPrivateKey(k.getParams().getOrder().bitLength(), k.getS(),
                    pub.getPublicKeyData(), info.getPrivateKeyAlgorithm().getParameters());
            return Pem.encode("EC PRIVATE KEY", sec1.getEncoded());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String pkcs8KeyPem() {
        return Pem.pkcs8(keyPair.getPrivate());
    }

    /** {@code ENCRYPTED PRIVATE KEY}, AES-256-CBC. */
    public String encryptedPkcs8KeyPem(String password) {
        try {
            var encryptor = new JceOpenSSLPKCS8EncryptorBuilder(PKCS8Generator.AES_256_CBC).setProvider(BC)
                    .setPassword(password.toCharArray()).build();
            return write(() -> new JcaPKCS8Generator(keyPair.getPrivate(), encryptor));
        } catch (org.bouncycastle.operator.OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Legacy OpenSSL encryption: {@code Proc-Type: 4,ENCRYPTED} inside an {@code RSA/EC PRIVATE KEY} block. */
    public String legacyEncryptedKeyPem(String password) {
        return write(() -> new JcaMiscPEMGenerator(keyPair.getPrivate(),
                new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(BC).build(password.toCharArray())));
    }

    private void requireAlgorithm(String alg) {
        if (!keyPair.getPrivate().getAlgorithm().equals(alg)) {
            throw new IllegalStateException("this CA has a " + keyPair.getPrivate().getAlgorithm() + " key, not " + alg);
        }
    }

    private interface PemSource {
        PemObjectGenerator get() throws IOException;
    }

    private static String write(PemSource gen) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(gen.get());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    static KeyPair keys(KeyAlgorithm alg) {
        try {
            return KeyAlgorithms.generate(alg);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- signing ---------------------------------------------------------------------------------

    private static Instant validFrom(Instant madeAt) {
        return madeAt.minus(Duration.ofDays(1));
    }

    private static Instant validUntil(Instant madeAt) {
        return madeAt.plus(Duration.ofDays(3650));
    }

    /** Signs with {@code issuer}'s key; when issuer has no certificate yet the result is self-signed. */
    private static X509Certificate sign(X500Name subject, PublicKey subjectKey, TestCa issuer, Instant notBefore, Instant notAfter,
                                        boolean ca, boolean keyCertSign, KeyPurposeId[] eku, List<String> dnsNames) {
        return sign(subject, subjectKey, issuer, notBefore, notAfter, ca, keyCertSign, eku, dnsNames, b -> {});
    }

    private static X509Certificate sign(X500Name subject, PublicKey subjectKey, TestCa issuer, Instant notBefore, Instant notAfter,
                                        boolean ca, boolean keyCertSign, KeyPurposeId[] eku, List<String> dnsNames, Extensions more) {
        try {
            X500Name issuerName = issuer.certificate == null ? subject
                    : X500Name.getInstance(issuer.certificate.getSubjectX500Principal().getEncoded());
            PublicKey issuerKey = issuer.keyPair.getPublic();
            PrivateKey signingKey = issuer.keyPair.getPrivate();
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuerName, new BigInteger(64, RANDOM).add(BigInteger.ONE),
                    Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            int usage = ca ? (keyCertSign ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.cRLSign | KeyUsage.digitalSignature)
                    : KeyUsage.digitalSignature | KeyUsage.keyEncipherment;
            b.addExtension(Extension.keyUsage, true, new KeyUsage(usage));
            b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
            b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey));
            if (eku != null) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(eku));
            }
            if (!dnsNames.isEmpty()) {
                b.addExtension(Extension.subjectAlternativeName, false,
                        new GeneralNames(dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new)));
            }
            more.apply(b);
            return new JcaX509CertificateConverter().getCertificate(
                    b.build(new JcaContentSignerBuilder(KeyPairs.signatureAlgorithm(signingKey)).build(signingKey)));
        } catch (Exception e) {
            throw new IllegalStateException("cannot build test certificate " + subject, e);
        }
    }

    @Override
    public String toString() {
        return "TestCa[" + certificate.getSubjectX500Principal() + "]";
    }
}
