package io.choria.natsoperator.model;

/** Something in a NatsCluster that cannot be honoured; {@code reason} is a CamelCase condition reason. */
public record SpecProblem(String reason, String message) {
    @Override
    public String toString() {
        return reason + ": " + message;
    }
}
