package io.choria.natsoperator.pki;

import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Key type of the server certificates the operator issues; the spec spells it as {@link #specName()}. */
public enum KeyAlgorithm {
    RSA_2048("RSA-2048"),
    EC_P256("EC-P256");

    private final String specName;

    KeyAlgorithm(String specName) {
        this.specName = specName;
    }

    public String specName() {
        return specName;
    }

    public static KeyAlgorithm fromSpec(String value) {
        for (KeyAlgorithm alg : values()) {
            if (alg.specName.equals(value)) {
                return alg;
            }
        }
        throw new IllegalArgumentException("unknown key algorithm '" + value + "', expected one of "
                + Arrays.stream(values()).map(KeyAlgorithm::specName).collect(Collectors.joining(", ")));
    }

    /** Which algorithm a certificate's key has; empty for keys this operator never issues (e.g. RSA-4096). */
    static Optional<KeyAlgorithm> of(PublicKey key) {
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() == 2048) {
            return Optional.of(RSA_2048);
        }
        // P-256 is the only 256-bit curve the JDK and BouncyCastle hand back for prime256v1 keys we issue.
        if (key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() == 256
                && ec.getParams().getCurve().getA().equals(P256_A)) {
            return Optional.of(EC_P256);
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return specName;
    }

    private static final java.math.BigInteger P256_A = new java.math.BigInteger(
            "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc", 16);
}
