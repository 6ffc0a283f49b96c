package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Prometheus for the brokers (off by default): the prometheus-nats-exporter sidecar, which
 * reads the broker's monitoring port on localhost and serves the Prometheus format on its own
 * port, and a PodMonitor for the Prometheus Operator. The operator's own /metrics carries
 * per-cluster gauges whatever is set here.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MonitoringSpec {
    @JsonPropertyDescription("The prometheus-nats-exporter sidecar. Enabling or disabling it rolls the brokers once.")
    private Exporter exporter = new Exporter();

    @JsonPropertyDescription("A PodMonitor (monitoring.coreos.com/v1) scraping the exporter; made only when the Prometheus Operator's CRD exists (else the PodMonitorReady condition says so). Needs exporter.enabled.")
    private PodMonitor podMonitor = new PodMonitor();

    public Exporter getExporter() { return exporter; }
    public void setExporter(Exporter exporter) { this.exporter = exporter; }
    public PodMonitor getPodMonitor() { return podMonitor; }
    public void setPodMonitor(PodMonitor podMonitor) { this.podMonitor = podMonitor; }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Exporter {
        /** Pinned: nats-io/prometheus-nats-exporter v0.15.0, whose flags model/MetricsExporter uses. */
        public static final String DEFAULT_IMAGE = "natsio/prometheus-nats-exporter:0.15.0";
        public static final int DEFAULT_PORT = 7777;

        @Default("false")
        @JsonPropertyDescription("Run the exporter sidecar in every broker pod.")
        private Boolean enabled = false;

        @Default(DEFAULT_IMAGE)
        @io.fabric8.generator.annotation.Pattern(SpecPatterns.IMAGE)
        @JsonPropertyDescription("The exporter image (prometheus-nats-exporter; its flags are those of 0.15.0). Runs unprivileged, like the broker.")
        private String image = DEFAULT_IMAGE;

        @Min(PortsSpec.MIN_PORT) @Max(65535) @Default("7777")
        @JsonPropertyDescription("The exporter's port (the only port Prometheus scrapes; the NetworkPolicy admits it from the installer's monitoring namespaces and monitorNamespaceSelector).")
        private Integer port = DEFAULT_PORT;

        @JsonPropertyDescription("Compute resources of the exporter container (default: requests 10m CPU, 16Mi; limit 64Mi).")
        private ResourceRequirements resources;

        public Boolean getEnabled() { return enabled; }
        public void setEnabled(Boolean enabled) { this.enabled = enabled; }
        public String getImage() { return image; }
        public void setImage(String image) { this.image = image; }
        public Integer getPort() { return port; }
        public void setPort(Integer port) { this.port = port; }
        public ResourceRequirements getResources() { return resources; }
        public void setResources(ResourceRequirements resources) { this.resources = resources; }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PodMonitor {
        @Default("false")
        @JsonPropertyDescription("Create a PodMonitor for the exporter when the Prometheus Operator's CRD exists.")
        private Boolean enabled = false;

        @Default("30s")
        @io.fabric8.generator.annotation.Pattern("^[0-9]+(ms|s|m|h)$")
        @JsonPropertyDescription("Scrape interval (a Prometheus duration, e.g. 30s).")
        private String interval = "30s";

        @JsonPropertyDescription("Extra labels of the PodMonitor, e.g. the release label a Prometheus' podMonitorSelector matches.")
        private Map<String, String> labels = new LinkedHashMap<>();

        public Boolean getEnabled() { return enabled; }
        public void setEnabled(Boolean enabled) { this.enabled = enabled; }
        public String getInterval() { return interval; }
        public void setInterval(String interval) { this.interval = interval; }
        public Map<String, String> getLabels() { return labels; }
        public void setLabels(Map<String, String> labels) { this.labels = labels; }
    }
}
