package io.choria.natsoperator.jetstream;

import io.choria.natsoperator.model.TlsFiles;

/**
 * How the operator speaks to a cluster's brokers: as a broker ({@code tls}, the certificate and key it wrote into the TLS
 * Secret; null without spec.tls) and, for the system account's requests ({@code $SYS.REQ.*}, {@code $JS.API.SERVER.REMOVE}),
 * as the system user ({@code systemPassword}, from the system account Secret; null while it is not there).
 */
public record BrokerAccess(TlsFiles tls, String systemPassword) {
    @Override
    public String toString() {
        return "BrokerAccess[tls=" + (tls != null) + ", systemPassword=" + (systemPassword != null ? "redacted" : "none") + "]";
    }
}
