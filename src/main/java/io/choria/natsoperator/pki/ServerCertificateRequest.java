package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.TlsSpec.KeyAlgorithm;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/** What to put in a broker's server certificate. Names are de-duplicated, first occurrence wins. */
public record ServerCertificateRequest(String commonName, List<String> dnsNames, KeyAlgorithm keyAlgorithm, int validityDays) {

    // RFC 5280 upper bound for a CN; longer names belong in the SANs only.
    private static final int MAX_CN_LENGTH = 64;

    public ServerCertificateRequest {
        Objects.requireNonNull(keyAlgorithm, "keyAlgorithm");
        if (commonName == null || commonName.isBlank()) {
            throw new IllegalArgumentException("commonName must not be blank");
        }
        if (commonName.length() > MAX_CN_LENGTH) {
            throw new IllegalArgumentException("commonName '" + commonName + "' is longer than " + MAX_CN_LENGTH + " characters");
        }
        if (validityDays < 1) {
            throw new IllegalArgumentException("validityDays must be at least 1, got " + validityDays);
        }
        List<String> names = new ArrayList<>(new LinkedHashSet<>(dnsNames == null ? List.of() : dnsNames));
        if (names.isEmpty() || names.stream().anyMatch(n -> n == null || n.isBlank())) {
            throw new IllegalArgumentException("dnsNames must hold at least one non-blank name");
        }
        dnsNames = List.copyOf(names);
    }
}
