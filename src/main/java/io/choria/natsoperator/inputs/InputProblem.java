package io.choria.natsoperator.inputs;

/**
 * An input the operator cannot honour (a Secret missing, a foreign object in the way). The
 * reconciler turns it into Ready=False with this reason and an Event, and changes nothing.
 */
public final class InputProblem extends RuntimeException {
    private final String reason;

    public InputProblem(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
