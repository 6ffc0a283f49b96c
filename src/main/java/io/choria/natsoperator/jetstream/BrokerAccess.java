package io.choria.natsoperator.jetstream;

import io.choria.natsoperator.model.TlsFiles;
import io.choria.natsoperator.pki.NKeys;

/**
 * How the operator speaks to a cluster's brokers: as a broker ({@code tls}, the certificate and key it wrote into the TLS
 * Secret; null without spec.tls) and, for the system account's requests ({@code $SYS.REQ.*}, {@code $JS.API.SERVER.REMOVE}),
 * as the system user ({@code systemPassword}, from the system account Secret; null while it is not there). With
 * spec.authorization a certificate is only ever a node's user, and no password is asked: the operator is then the system
 * account's nkey ({@code systemNKey}) and its own user in choria ({@code operatorNKey}), from the same Secret.
 */
public record BrokerAccess(TlsFiles tls, String systemPassword, NKeys systemNKey, NKeys operatorNKey) {
    public BrokerAccess(TlsFiles tls, String systemPassword) {
        this(tls, systemPassword, null, null);
    }

    @Override
    public String toString() {
        return "BrokerAccess[tls=" + (tls != null) + ", systemPassword=" + (systemPassword != null ? "redacted" : "none")
                + ", nkeys=" + (systemNKey != null && operatorNKey != null) + "]";
    }
}
