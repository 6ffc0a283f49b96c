package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.ValidationRule;

@ValidationRule(value = "self.client != self.cluster && self.client != self.monitor && self.cluster != self.monitor",
        message = "client, cluster and monitor ports must all differ")
public class PortsSpec {
    /** The broker runs as uid 1000 with every capability dropped: it cannot bind a port below 1024. */
    public static final int MIN_PORT = 1024;

    @Min(1024) @Max(65535) @Default("4222")
    @JsonPropertyDescription("Client port (1024-65535: the broker runs unprivileged), the one Choria nodes connect to (plugin.choria.middleware_hosts).")
    private Integer client = 4222;

    @Min(1024) @Max(65535) @Default("4223")
    @JsonPropertyDescription("Route port for the full mesh between brokers.")
    private Integer cluster = 4223;

    @Min(1024) @Max(65535) @Default("8222")
    @JsonPropertyDescription("Monitoring port (/healthz, /varz); reached from inside the pod and by the operator, never exposed by the client Service.")
    private Integer monitor = 8222;

    public Integer getClient() { return client; }
    public void setClient(Integer client) { this.client = client; }
    public Integer getCluster() { return cluster; }
    public void setCluster(Integer cluster) { this.cluster = cluster; }
    public Integer getMonitor() { return monitor; }
    public void setMonitor(Integer monitor) { this.monitor = monitor; }
}
