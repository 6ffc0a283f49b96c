package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.Reason;

/** From the brokers' monitoring endpoints: meshed or not, and why. */
public record MeshObservation(boolean meshed, Reason reason, String message) {}
