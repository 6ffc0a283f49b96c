package io.choria.natsoperator.mesh;

import io.choria.natsoperator.api.Reason;
import java.time.Instant;
import java.util.List;

/**
 * From the brokers' monitoring endpoints: meshed or not, and why. {@code oldestConfigLoad} is the
 * earliest {@code config_load_time} of the brokers when all answered (else null): what every
 * broker has certainly loaded. {@code loads}: each answering broker's client connections and
 * memory, for the capacity check.
 */
public record MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad, List<BrokerLoad> loads) {
    /** One broker's load as its /varz says: client connections and memory (bytes). */
    public record BrokerLoad(String broker, int connections, long memBytes) {}

    public MeshObservation(boolean meshed, Reason reason, String message) {
        this(meshed, reason, message, null, List.of());
    }

    public MeshObservation(boolean meshed, Reason reason, String message, Instant oldestConfigLoad) {
        this(meshed, reason, message, oldestConfigLoad, List.of());
    }

    public MeshObservation withLoads(List<BrokerLoad> loads) {
        return new MeshObservation(meshed, reason, message, oldestConfigLoad, List.copyOf(loads));
    }
}
