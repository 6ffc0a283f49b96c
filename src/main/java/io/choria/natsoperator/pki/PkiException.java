package io.choria.natsoperator.pki;

/**
 * A CA that cannot be used, with a reason fit for a status condition.
 * Messages are single lines meant for users and must never carry key material,
 * which is why key parsing errors are not chained as causes.
 */
public final class PkiException extends Exception {

    public enum Reason {
        CaCertificateMissing,
        CaKeyMissing,
        CaCertificateInvalid,
        CaKeyInvalid,
        CaKeyEncrypted,
        CaKeyMismatch,
        CaNotACertificateAuthority,
        CaExpired
    }

    private final Reason reason;

    public PkiException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public PkiException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
