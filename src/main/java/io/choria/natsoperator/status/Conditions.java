package io.choria.natsoperator.status;

import io.choria.natsoperator.api.Reason;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

/** metav1.Condition helpers: a condition keeps its lastTransitionTime until its status changes. */
public final class Conditions {
    public static final String READY = "Ready";
    public static final String CERTIFICATE_READY = "CertificateReady";
    public static final String ROUTES_MESHED = "RoutesMeshed";
    /** Only with spec.gateway: every broker has a gateway to every listed remote site (/gatewayz). */
    public static final String GATEWAYS_CONNECTED = "GatewaysConnected";
    /** Only with spec.leafnodes: every broker holds a connection to every listed remote hub (/leafz); with none, how many leafs each holds. */
    public static final String LEAF_NODES_CONNECTED = "LeafNodesConnected";
    /** Only with spec.streams: JetStream answers, Choria's streams have their replicas current, and the stores have room. */
    public static final String STREAMS_READY = "StreamsReady";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    /** With spec.capacity: every broker below warnPercent of its connections and memory, and resources that fit. */
    public static final String CAPACITY_AVAILABLE = "CapacityAvailable";
    /** Puppet enrolment: the brokers admit only keys the Puppet CA lists as signed. */
    public static final String REVOCATION_ENFORCED = "RevocationEnforced";
    /** Only present when the installer refuses the privileged sysctls a NatsCluster asks for. */
    public static final String SYSCTLS_APPLIED = "SysctlsApplied";
    /** Present only when spec.image is known to lack a shell (False, ImageLacksShell); a warning, see ImageShell. */
    public static final String IMAGE_HAS_SHELL = "ImageHasShell";
    /** Present only when the spec keeps settings that slow reconnect storms (False, SlowStormSettings); a warning, see StormTuning. */
    public static final String STORM_TUNED = "StormTuned";
    public static final String POD_MONITOR_READY = "PodMonitorReady";
    public static final String UNKNOWN = "Unknown";

    private Conditions() {}

    public static Condition of(String type, boolean status, Reason reason, String message, Long generation,
            List<Condition> previous, Instant now) {
        String s = status ? "True" : "False";
        String since = find(previous, type).filter(p -> s.equals(p.getStatus())).map(Condition::getLastTransitionTime)
                .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
        return new ConditionBuilder().withType(type).withStatus(s).withReason(reason.name()).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }

    /**
     * Status {@code Unknown}: the operator cannot say (metav1.Condition's third status); keeps its
     * lastTransitionTime while it stays Unknown.
     */
    public static Condition unknown(String type, Reason reason, String message, Long generation, List<Condition> previous, Instant now) {
        String since = find(previous, type).filter(p -> UNKNOWN.equals(p.getStatus())).map(Condition::getLastTransitionTime)
                .orElse(now.truncatedTo(ChronoUnit.SECONDS).toString());
        return new ConditionBuilder().withType(type).withStatus(UNKNOWN).withReason(reason.name()).withMessage(message)
                .withObservedGeneration(generation).withLastTransitionTime(since).build();
    }

    public static Optional<Condition> find(List<Condition> conditions, String type) {
        if (conditions == null) return Optional.empty();
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst();
    }
}
