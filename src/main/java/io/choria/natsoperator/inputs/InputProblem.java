package io.choria.natsoperator.inputs;

import io.choria.natsoperator.api.Reason;

/**
 * An input the operator cannot honour (a Secret missing, a foreign object in the way). The
 * reconciler turns it into Ready=False with this reason and an Event, and changes nothing.
 */
public final class InputProblem extends RuntimeException {
    private final Reason reason;

    public InputProblem(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
