package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class SysctlsSpec {
    public enum Mode { InitContainer, PodSecurityContext, None }

    @Default("InitContainer")
    @JsonPropertyDescription("How the kernel settings reach the broker's network namespace: InitContainer (a privileged init container raises each setting, never lowers it), PodSecurityContext (pod securityContext.sysctls, set as given, even below the kernel's value; the kubelet must allow these unsafe sysctls), or None (leave the kernel alone: needed under the baseline and restricted Pod Security Standards).")
    private Mode mode = Mode.InitContainer;

    @Min(128) @Max(1048576) @Default("4092")
    @JsonPropertyDescription("net.core.somaxconn: the listen backlog, so a reconnect storm is not dropped.")
    private Integer somaxconn = 4092;

    @Min(128) @Max(1048576) @Default("8192")
    @JsonPropertyDescription("net.ipv4.tcp_max_syn_backlog: half-open connections kept during a reconnect storm.")
    private Integer tcpMaxSynBacklog = 8192;

    public Mode getMode() { return mode; }
    public void setMode(Mode mode) { this.mode = mode; }
    public Integer getSomaxconn() { return somaxconn; }
    public void setSomaxconn(Integer somaxconn) { this.somaxconn = somaxconn; }
    public Integer getTcpMaxSynBacklog() { return tcpMaxSynBacklog; }
    public void setTcpMaxSynBacklog(Integer tcpMaxSynBacklog) { this.tcpMaxSynBacklog = tcpMaxSynBacklog; }
}
