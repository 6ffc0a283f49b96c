package io.choria.natsoperator.pki;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECParameterSpec;
import java.util.function.Function;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/** Whether a private key belongs to a public key. */
final class KeyPairs {

    private static final SecureRandom RANDOM = new SecureRandom();

    private KeyPairs() {
    }

    /** What comparing public parts tells: the same key, another key, or (public part not known) only a signature can say. */
    enum Match { SAME, DIFFERENT, UNKNOWN }

    /**
     * A cheap comparison of {@code privateKey}'s public part with public keys, prepared once: for RSA the
     * modulus and public exponent (a PKCS#1 or PKCS#8 RSA key is a CRT key carrying both); for EC the curve
     * and the public point, derived as d·G since PKCS#8/SEC1 EC keys need not carry it. Microseconds per
     * certificate, where a signature with a large RSA key takes tens of milliseconds.
     */
    static Function<PublicKey, Match> publicPartOf(PrivateKey privateKey) {
        if (privateKey instanceof RSAPrivateKey rsa) {
            BigInteger n = rsa.getModulus();
            BigInteger e = rsa instanceof RSAPrivateCrtKey crt ? crt.getPublicExponent() : null;
            return pub -> {
                if (!(pub instanceof RSAPublicKey r) || !n.equals(r.getModulus())) return Match.DIFFERENT;
                if (e == null) return Match.UNKNOWN;
                return e.equals(r.getPublicExponent()) ? Match.SAME : Match.DIFFERENT;
            };
        }
        if (privateKey instanceof ECPrivateKey ec) {
            ECParameterSpec params = ec.getParams();
            java.security.spec.ECPoint w = derivedPoint(ec);
            return pub -> {
                if (!(pub instanceof ECPublicKey p) || !sameCurve(params, p.getParams())) return Match.DIFFERENT;
                if (w == null) return Match.UNKNOWN;
                return w.equals(p.getW()) ? Match.SAME : Match.DIFFERENT;
            };
        }
        return pub -> privateKey.getAlgorithm().equals(pub.getAlgorithm()) ? Match.UNKNOWN : Match.DIFFERENT;
    }

    /** d·G in affine coordinates, or null when it cannot be had (a curve BouncyCastle cannot convert, d out of range). */
    private static java.security.spec.ECPoint derivedPoint(ECPrivateKey ec) {
        try {
            org.bouncycastle.jce.spec.ECParameterSpec spec = EC5Util.convertSpec(ec.getParams());
            BigInteger d = ec.getS();
            if (d.signum() <= 0 || d.compareTo(spec.getN()) >= 0) return null;
            ECPoint q = new FixedPointCombMultiplier().multiply(spec.getG(), d).normalize();
            return new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder()) && a.getCofactor() == b.getCofactor();
    }

    /**
     * Proves the pair by signing and verifying a random challenge: works the same for RSA and EC,
     * including PKCS#8/SEC1 EC keys that do not carry their public point. Costly for large RSA keys:
     * call it only for a certificate {@link #publicPartOf} did not rule out.
     */
    static boolean matches(PrivateKey privateKey, PublicKey publicKey) {
        if (!privateKey.getAlgorithm().equals(publicKey.getAlgorithm())) {
            return false;
        }
        try {
            String alg = signatureAlgorithm(privateKey);
            byte[] challenge = new byte[32];
            RANDOM.nextBytes(challenge);
            Signature signer = Signature.getInstance(alg);
            signer.initSign(privateKey);
            signer.update(challenge);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(publicKey);
            verifier.update(challenge);
            return verifier.verify(sig);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> throw new IllegalArgumentException("unsupported key type " + key.getAlgorithm());
        };
    }
}
