package io.choria.natsoperator.puppet;

/** The Puppet CA did not do what was asked; {@link #kind()} says how the operator should take it. */
public final class PuppetCaException extends Exception {
    public enum Kind {
        /** No answer, a timeout, or a 5xx: try again later, keep what is in force. */
        UNREACHABLE,
        /** 401/403: auth.conf does not allow the operator's certificate this call. */
        FORBIDDEN,
        /** 4xx: the CA refused the request (e.g. a CSR it will not take); the message is Puppet's. */
        REFUSED,
        /** An answer past one of the operator's caps ({@link PuppetCaClient.Limits}): refused unread, keep what is in force. */
        TOO_LARGE
    }

    private final Kind kind;

    public PuppetCaException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
