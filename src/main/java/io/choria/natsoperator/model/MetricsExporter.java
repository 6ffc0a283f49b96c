package io.choria.natsoperator.model;

import io.choria.natsoperator.api.MonitoringSpec;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import java.util.List;

/**
 * The prometheus-nats-exporter sidecar: it reads the broker's monitoring port on localhost
 * (inside the pod, so the NetworkPolicy on 8222 stays as it is) and serves the Prometheus
 * format on its own port, the only one Prometheus scrapes.
 *
 * <p>The flags are those of the pinned v0.15.0 (nats-io/prometheus-nats-exporter, main.go at
 * tag v0.15.0: {@code -port}, {@code -addr}, {@code -varz}, {@code -connz}, {@code -routez},
 * {@code -subz}, {@code -healthz}, {@code -use_internal_server_name}; the monitoring URL is the
 * one positional argument). Not {@code -connz_detailed}: it labels series per connection, i.e.
 * per Choria node, which is both a cardinality bomb at 2000 nodes a broker and a list of the
 * fleet's addresses in Prometheus. Go's flag package takes {@code -name=value}.
 */
public final class MetricsExporter {
    public static final String CONTAINER = "exporter";
    public static final String PORT_NAME = "metrics";
    /** The exporter's default path (exporter.DefaultScrapePath). */
    public static final String PATH = "/metrics";

    private MetricsExporter() {}

    public static boolean enabled(NatsClusterSpec spec) {
        return spec.getMonitoring() != null && spec.getMonitoring().getExporter() != null
                && Boolean.TRUE.equals(spec.getMonitoring().getExporter().getEnabled());
    }

    public static List<String> args(NatsClusterSpec spec) {
        MonitoringSpec.Exporter e = spec.getMonitoring().getExporter();
        return List.of("-port=" + e.getPort(), "-addr=0.0.0.0", "-varz", "-connz", "-routez", "-subz", "-healthz",
                "-use_internal_server_name", "http://localhost:" + spec.getPorts().getMonitor());
    }

    static Container container(NatsClusterSpec spec) {
        MonitoringSpec.Exporter e = spec.getMonitoring().getExporter();
        return new ContainerBuilder()
                .withName(CONTAINER)
                .withImage(e.getImage())
                .withArgs(args(spec))
                .addNewPort().withName(PORT_NAME).withContainerPort(e.getPort()).withProtocol("TCP").endPort()
                .withResources(resources(e))
                // No probes: the broker pod's readiness must not hang on its metrics.
                .withSecurityContext(BrokerStatefulSet.restricted())
                .build();
    }

    static ResourceRequirements resources(MonitoringSpec.Exporter e) {
        if (e.getResources() != null) return e.getResources();
        return new ResourceRequirementsBuilder()
                .addToRequests("cpu", new Quantity("10m"))
                .addToRequests("memory", new Quantity("16Mi"))
                .addToLimits("memory", new Quantity("64Mi"))
                .build();
    }
}
