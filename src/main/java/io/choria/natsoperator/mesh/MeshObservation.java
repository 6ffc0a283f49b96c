package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.Reason;
import java.time.Instant;

/**
 * From the brokers' monitoring endpoints: meshed or not, and why. {@code oldestConfigLoad} is the
 * earliest {@code config_load_time} of the brokers when all answered (else null): what every
 * broker has certainly loaded.
 */
public record MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad) {
    public MeshObservation(boolean meshed, Reason reason, String message) {
        this(meshed, reason, message, null);
    }
}
