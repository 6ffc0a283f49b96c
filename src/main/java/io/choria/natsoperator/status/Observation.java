package io.choria.natsoperator.status;

import io.choria.natsoperator.api.CertificateStatus;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.inputs.InputProblem;
import io.choria.natsoperator.mesh.MeshObservation;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.time.Instant;

/**
 * What one reconcile saw, the input of {@link StatusCalculator}. {@code problem} is set when
 * the spec or its inputs cannot be honoured; {@code certificate} is null without TLS;
 * {@code mesh} is null when it was not checked or is not known ({@code meshUnknown} says why); {@code sysctlsRefused}: the spec asks for the
 * privileged sysctl init container and the installer has turned privileged sysctls off.
 */
public record Observation(StatefulSet statefulSet, InputProblem problem, CertificateObservation certificate, MeshObservation mesh,
        boolean sysctlsRefused, RevocationObservation revocation, Observation.PodMonitorObservation podMonitor, MeshUnknown meshUnknown) {

    /** Without a mesh left unknown. */
    public Observation(StatefulSet statefulSet, InputProblem problem, CertificateObservation certificate, MeshObservation mesh,
            boolean sysctlsRefused, RevocationObservation revocation, Observation.PodMonitorObservation podMonitor) {
        this(statefulSet, problem, certificate, mesh, sysctlsRefused, revocation, podMonitor, null);
    }

    /** Without a PodMonitor verdict (the spec asks for none). */
    public Observation(StatefulSet statefulSet, InputProblem problem, CertificateObservation certificate, MeshObservation mesh,
            boolean sysctlsRefused, RevocationObservation revocation) {
        this(statefulSet, problem, certificate, mesh, sysctlsRefused, revocation, null);
    }

    public Observation(StatefulSet statefulSet, InputProblem problem, CertificateObservation certificate, MeshObservation mesh) {
        this(statefulSet, problem, certificate, mesh, false, null);
    }

    /**
     * The brokers are polled ({@code mesh} null) but no observation can be reported: none made yet
     * for this spec ({@code NotObservedYet}: the conditions the last one wrote stand, as of their
     * observedGeneration) or the latest too old ({@code ObservationTooOld}: Unknown, with its time).
     */
    public record MeshUnknown(Reason reason, String message) {
        public boolean keepLast() {
            return reason == Reason.NotObservedYet;
        }
    }

    /**
     * Puppet enrolment: whether the brokers' allow-list follows the CA's inventory, and what it holds. {@code listChangedAt}:
     * the sync that last changed the list in force (null: not since this operator started, the status keeps what it has);
     * {@code lastSync}: the last good sync (null before one).
     */
    /** {@code users}: with spec.authorization, the NATS users each broker holds (-1: not known, or authorization off). */
    public record RevocationObservation(boolean enforced, Reason reason, String message, Instant listChangedAt, Instant lastSync, int users) {
        public RevocationObservation(boolean enforced, Reason reason, String message, Instant listChangedAt, Instant lastSync) {
            this(enforced, reason, message, listChangedAt, lastSync, -1);
        }

        public RevocationObservation(boolean enforced, Reason reason, String message) {
            this(enforced, reason, message, null, null);
        }
    }

    /** The certificate outcome: ready with its status, or not ready with a reason. */
    public record CertificateObservation(boolean ready, Reason reason, String message, CertificateStatus status) {}

    /** The optional PodMonitor's verdict (null: the spec asks for none). */
    public record PodMonitorObservation(boolean ready, Reason reason, String message) {}
}
