package io.choria.natsoperator.model;

import io.choria.natsoperator.api.Reason;

/** Something in a NatsCluster that cannot be honoured; {@code reason} is the condition reason. */
public record SpecProblem(Reason reason, String message) {
    @Override
    public String toString() {
        return reason + ": " + message;
    }
}
