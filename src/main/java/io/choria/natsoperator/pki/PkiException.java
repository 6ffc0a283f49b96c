package io.choria.natsoperator.pki;

import io.choria.natsoperator.api.Reason;

/**
 * A CA that cannot be used, with a reason fit for a status condition (one of the {@code Ca*} reasons).
 * Messages are single lines meant for users and must never carry key material,
 * which is why key parsing errors are not chained as causes.
 */
public final class PkiException extends Exception {

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
