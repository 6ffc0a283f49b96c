package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.Reason;
import java.time.Instant;

/**
 * From the brokers' monitoring endpoints: meshed or not, and why. {@code oldestConfigLoad} is the
 * earliest {@code config_load_time} of the brokers when all answered (else null): what every
 * broker has certainly loaded.
 */
public record MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad,
        GatewayChecker.GatewayObservation gateways) {
    public MeshObservation(boolean meshed, Reason reason, String message) {
        this(meshed, reason, message, null);
    }

    public MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad) {
        this(meshed, reason, message, oldestConfigLoad, null);
    }

    /** With the {@code GatewaysConnected} check (spec.gateway); {@code gateways} null when not checked. */
    public MeshObservation withGateways(GatewayChecker.GatewayObservation gateways) {
        return new MeshObservation(meshed, reason, message, oldestConfigLoad, gateways);
    }
}
