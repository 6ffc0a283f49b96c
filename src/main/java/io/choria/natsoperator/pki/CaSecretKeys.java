package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Finds the CA certificate and key in a Secret's data, whichever naming convention it follows. */
public final class CaSecretKeys {

    private record Pair(String cert, String key) {
    }

    // Our own names first, then what `kubectl create secret tls` writes, then Puppet's file names
    // so `--from-file=/etc/puppetlabs/puppetserver/ca/ca_crt.pem` works without renaming.
    private static final List<Pair> CONVENTIONS = List.of(
            new Pair("ca.crt", "ca.key"),
            new Pair("tls.crt", "tls.key"),
            new Pair("ca_crt.pem", "ca_key.pem"));

    private CaSecretKeys() {
    }

    public static CaMaterial select(Map<String, byte[]> secretData, String certKey, String keyKey) throws PkiException {
        Map<String, byte[]> data = secretData == null ? Map.of() : secretData;
        String cert = certKey != null ? certKey : firstPresent(data, CONVENTIONS.stream().map(Pair::cert).toList());
        if (cert == null || isEmpty(data.get(cert))) {
            throw new PkiException(Reason.CaCertificateMissing,
                    "CA Secret has no certificate under " + looked(certKey, Pair::cert));
        }
        // Pair the key with the cert's convention so a tls.key never goes with a ca.crt by accident.
        String key = keyKey != null ? keyKey : matchingKeyName(cert, data);
        if (key == null || isEmpty(data.get(key))) {
            String where = key != null ? quote(key) : looked(null, Pair::key);
            throw new PkiException(Reason.CaKeyMissing,
                    "CA Secret has no private key under " + where + " (certificate found under '" + cert + "')");
        }
        return new CaMaterial(text(data.get(cert)), text(data.get(key)), cert, key);
    }

    private static String matchingKeyName(String certName, Map<String, byte[]> data) {
        for (Pair p : CONVENTIONS) {
            if (p.cert().equals(certName)) {
                return p.key();
            }
        }
        // Custom cert key with default key lookup: take the first conventional key present.
        return firstPresent(data, CONVENTIONS.stream().map(Pair::key).toList());
    }

    private static String firstPresent(Map<String, byte[]> data, List<String> names) {
        return names.stream().filter(n -> !isEmpty(data.get(n))).findFirst().orElse(null);
    }

    private static String looked(String explicit, java.util.function.Function<Pair, String> side) {
        if (explicit != null) {
            return quote(explicit);
        }
        return CONVENTIONS.stream().map(side).map(CaSecretKeys::quote).collect(Collectors.joining(", ", "any of ", ""));
    }

    private static String quote(String s) {
        return "'" + s + "'";
    }

    private static boolean isEmpty(byte[] b) {
        return b == null || new String(b, StandardCharsets.UTF_8).isBlank();
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
