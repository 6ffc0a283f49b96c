package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events on a NatsCluster, for {@code kubectl describe}. The reconciler emits one
 * when a condition changes, not on every reconcile. Messages never carry secret values.
 */
public class EventRecorder {
    public static final String COMPONENT = "nats-operator";
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    private final KubernetesClient client;

    public EventRecorder(KubernetesClient client) {
        this.client = client;
    }

    public void normal(NatsCluster nc, Reason reason, String message) {
        normal(nc, reason.name(), message);
    }

    public void warning(NatsCluster nc, Reason reason, String message) {
        warning(nc, reason.name(), message);
    }

    /** {@code reason} is a {@link Reason}'s name, e.g. the reason of a condition that changed. */
    public void normal(NatsCluster nc, String reason, String message) {
        record(nc, "Normal", reason, message);
    }

    public void warning(NatsCluster nc, String reason, String message) {
        record(nc, "Warning", reason, message);
    }

    protected void record(NatsCluster nc, String type, String reason, String message) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        var event = new EventBuilder()
                .withNewMetadata()
                .withName(nc.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
                .withNamespace(nc.getMetadata().getNamespace())
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(NatsCluster.API_VERSION).withKind("NatsCluster")
                        .withName(nc.getMetadata().getName()).withNamespace(nc.getMetadata().getNamespace())
                        .withUid(nc.getMetadata().getUid()).withResourceVersion(nc.getMetadata().getResourceVersion()).build())
                .withType(type).withReason(reason).withMessage(message)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .withNewSource().withComponent(COMPONENT).endSource()
                .withReportingComponent(COMPONENT)
                .build();
        try {
            client.v1().events().inNamespace(nc.getMetadata().getNamespace()).resource(event).create();
        } catch (RuntimeException e) {
            // An Event is a courtesy; failing to write one must not fail the reconcile.
            LOG.warn("could not record event {} on {}/{}: {}", reason, nc.getMetadata().getNamespace(),
                    nc.getMetadata().getName(), e.getMessage());
        }
    }
}
