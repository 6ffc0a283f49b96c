package io.choria.natsoperator.model;

import io.choria.natsoperator.api.MonitoringSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus Operator's PodMonitor (monitoring.coreos.com/v1) for the exporter port of a
 * cluster's brokers. A generic resource: the operator does not depend on the Prometheus
 * Operator's classes, and the CRD may be absent (then it is not created, see the reconciler).
 */
public final class BrokerPodMonitor {
    public static final String API_VERSION = "monitoring.coreos.com/v1";
    public static final String GROUP = "monitoring.coreos.com";
    public static final String KIND = "PodMonitor";
    public static final String PLURAL = "podmonitors";

    private BrokerPodMonitor() {}

    public static boolean wanted(NatsCluster nc) {
        MonitoringSpec m = nc.getSpec().getMonitoring();
        return m != null && m.getPodMonitor() != null && Boolean.TRUE.equals(m.getPodMonitor().getEnabled())
                && MetricsExporter.enabled(nc.getSpec());
    }

    public static GenericKubernetesResource of(NatsCluster nc, Names names) {
        MonitoringSpec.PodMonitor pm = nc.getSpec().getMonitoring().getPodMonitor();
        ObjectMeta meta = Owned.meta(nc, names.podMonitor(), "broker");
        // the user's labels (a Prometheus' podMonitorSelector) never replace ours
        Map<String, String> labels = new LinkedHashMap<>(pm.getLabels());
        labels.putAll(meta.getLabels());
        meta.setLabels(labels);
        Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("port", MetricsExporter.PORT_NAME);
        endpoint.put("path", MetricsExporter.PATH);
        endpoint.put("interval", pm.getInterval());
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("selector", Map.of("matchLabels", Labels.selector(names.cluster())));
        spec.put("podMetricsEndpoints", List.of(endpoint));
        return new GenericKubernetesResourceBuilder()
                .withApiVersion(API_VERSION).withKind(KIND)
                .withMetadata(meta)
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
    }
}
