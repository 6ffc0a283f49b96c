package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Optional;

/** The key algorithms of the spec ({@link KeyAlgorithm}) as keys: generating them, and telling which one a key has. */
public final class KeyAlgorithms {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final BigInteger P256_A = new BigInteger(
            "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc", 16);

    private KeyAlgorithms() {}

    /** Which algorithm a certificate's key has; empty for keys this operator never issues (e.g. RSA-4096). */
    static Optional<KeyAlgorithm> of(PublicKey key) {
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() == 2048) {
            return Optional.of(KeyAlgorithm.RSA_2048);
        }
        // P-256 is the only 256-bit curve the JDK and BouncyCastle hand back for prime256v1 keys we issue.
        if (key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                && ec.getParams().getCurve().getA().equals(P256_A)) {
            return Optional.of(KeyAlgorithm.EC_P256);
        }
        return Optional.empty();
    }

    static KeyPair generate(KeyAlgorithm alg) throws GeneralSecurityException {
        return switch (alg) {
            case RSA_2048 -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048, RANDOM);
                yield g.generateKeyPair();
            }
            case EC_P256 -> {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
                yield g.generateKeyPair();
            }
        };
    }
}
