package io.choria.natsoperator.reconciler;

import io.choria.natsoperator.status.Observation;

import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.Reason;
import io.choria.natsoperator.model.BrokerPodMonitor;
import io.choria.natsoperator.model.Names;
import io.choria.natsoperator.model.Owned;
import io.choria.natsoperator.reconciler.dependent.Dependent;
import io.choria.natsoperator.reconciler.dependent.OwnedObjects;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The optional PodMonitor, outside the dependents: its kind exists only where the Prometheus
 * Operator is installed, and an informer on a missing kind would hold the whole operator back.
 * So it is written directly, and costs requests only when something changes:
 * <ul>
 * <li>whether the kind exists: API discovery of {@code monitoring.coreos.com/v1} (allowed to
 *   every authenticated user, no RBAC on CRDs), asked at most once per {@code recheck};
 * <li>what the operator last wrote for each NatsCluster (by uid) is remembered, so a settled
 *   cluster costs no request; after a restart, one GET per cluster. A hand edit of the PodMonitor
 *   is therefore put back only after the spec changes or the operator restarts.
 * </ul>
 * Absent kind: a condition ({@code PodMonitorReady=False}, {@code PrometheusOperatorMissing}),
 * never a failure of the reconcile.
 */
final class PodMonitors {
    private static final String ABSENT = "absent";
    private static final ResourceDefinitionContext CONTEXT = new ResourceDefinitionContext.Builder()
            .withGroup(BrokerPodMonitor.GROUP).withVersion("v1").withKind(BrokerPodMonitor.KIND)
            .withPlural(BrokerPodMonitor.PLURAL).withNamespaced(true).build();

    /** The PodMonitorReady verdict; null when the spec does not ask for one. */

    private final KubernetesClient client;
    private final Duration recheck;
    private final Map<String, String> written = new ConcurrentHashMap<>();
    private volatile Boolean kindExists;
    private volatile Instant kindCheckedAt = Instant.EPOCH;

    PodMonitors(KubernetesClient client, Duration recheck) {
        this.client = client;
        this.recheck = recheck;
    }

    Observation.PodMonitorObservation reconcile(NatsCluster nc, Names names, Instant now) {
        String uid = nc.getMetadata().getUid();
        if (!BrokerPodMonitor.wanted(nc)) {
            if (ABSENT.equals(written.get(uid))) return null;
            if (kindExists(now)) remove(nc, names);
            written.put(uid, ABSENT);
            return null;
        }
        if (!kindExists(now)) {
            written.remove(uid);
            return new Observation.PodMonitorObservation(false, Reason.PrometheusOperatorMissing, "spec.monitoring.podMonitor.enabled, but this cluster has no "
                    + BrokerPodMonitor.KIND + " kind (" + BrokerPodMonitor.API_VERSION + "): install the Prometheus Operator's CRDs,"
                    + " or scrape the exporter's port some other way; the operator looks again every " + recheck.toSeconds() + "s");
        }
        GenericKubernetesResource desired = BrokerPodMonitor.of(nc, names);
        String hash = OwnedObjects.hash(desired);
        String done = "PodMonitor " + names.podMonitor() + " scrapes the exporter of each broker";
        if (hash.equals(written.get(uid))) return new Observation.PodMonitorObservation(true, Reason.PodMonitorCreated, done);
        var resource = client.genericKubernetesResources(CONTEXT).inNamespace(names.namespace()).withName(names.podMonitor());
        GenericKubernetesResource live = resource.get();
        if (live != null && !Owned.isOwnedBy(live.getMetadata(), nc)) {
            return new Observation.PodMonitorObservation(false, Reason.ObjectNotOwned, "PodMonitor " + names.podMonitor() + " exists and is not this NatsCluster's;"
                    + " the operator does not adopt or overwrite it");
        }
        Map<String, String> annotations = new LinkedHashMap<>(desired.getMetadata().getAnnotations() == null ? Map.of()
                : desired.getMetadata().getAnnotations());
        annotations.put(Dependent.HASH_ANNOTATION, hash);
        desired.getMetadata().setAnnotations(annotations);
        String liveHash = live == null || live.getMetadata().getAnnotations() == null ? null
                : live.getMetadata().getAnnotations().get(Dependent.HASH_ANNOTATION);
        if (live == null) {
            client.genericKubernetesResources(CONTEXT).inNamespace(names.namespace()).resource(desired).create();
        } else if (!Objects.equals(hash, liveHash)) {
            desired.getMetadata().setResourceVersion(live.getMetadata().getResourceVersion());
            client.genericKubernetesResources(CONTEXT).inNamespace(names.namespace()).resource(desired).update();
        }
        written.put(uid, hash);
        return new Observation.PodMonitorObservation(true, Reason.PodMonitorCreated, done);
    }

    void forget(String uid) {
        written.remove(uid);
    }

    private void remove(NatsCluster nc, Names names) {
        var resource = client.genericKubernetesResources(CONTEXT).inNamespace(names.namespace()).withName(names.podMonitor());
        GenericKubernetesResource live = resource.get();
        if (live != null && Owned.isOwnedBy(live.getMetadata(), nc)) resource.delete();
    }

    /** Discovery, cached for {@code recheck}: a 404 (or an empty list) means no Prometheus Operator. */
    private boolean kindExists(Instant now) {
        Boolean known = kindExists;
        if (known != null && now.isBefore(kindCheckedAt.plus(recheck))) return known;
        boolean exists;
        try {
            APIResourceList list = client.getApiResources(BrokerPodMonitor.API_VERSION);
            exists = list != null && list.getResources() != null
                    && list.getResources().stream().anyMatch(r -> BrokerPodMonitor.PLURAL.equals(r.getName()));
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) throw e;
            exists = false;
        }
        kindExists = exists;
        kindCheckedAt = now;
        return exists;
    }
}
