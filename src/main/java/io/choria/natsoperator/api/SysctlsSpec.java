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
    @JsonPropertyDescription("How the kernel settings reach the broker's network namespace: InitContainer (a privileged init container sets each setting in the pod's own network namespace, lower or higher than the kernel's), PodSecurityContext (pod securityContext.sysctls, set as given; the kubelet must allow these unsafe sysctls), or None (leave the kernel alone: needed under the baseline and restricted Pod Security Standards).")
    private Mode mode = Mode.InitContainer;

    // 65535: the listen backlog the kernel keeps per socket (sk_max_ack_backlog) was an unsigned
    // 16-bit value until Linux 4.x, so larger values were truncated; no broker needs more.
    public static final int MAX_SOMAXCONN = 65535;
    // 262144: 64 times the usual default (4096 on hosts with enough memory, man 7 tcp); each
    // half-open request costs kernel memory, and a reconnect storm of 100,000 nodes fits well within it.
    public static final int MAX_TCP_MAX_SYN_BACKLOG = 262144;
    /**
     * 128: a short listen backlog is the broker's admission control in a reconnect storm. Go
     * accepts every queued connection at once and runs all their TLS handshakes side by side; with
     * thousands queued none finishes within the nodes' 2 s and the storm feeds itself. Measured
     * (docs/BENCHMARKS.md): 5000 nodes on half a CPU back in 9.4 s at 128 against 29.3 s at 4096.
     */
    public static final int DEFAULT_SOMAXCONN = 128;

    @Min(128) @Max(MAX_SOMAXCONN) @Default("128")
    @JsonPropertyDescription("net.core.somaxconn in the broker's network namespace: its listen backlog (128-65535). Short on purpose: it is what ends a reconnect storm soonest (docs/BENCHMARKS.md); raising it makes storms longer.")
    private Integer somaxconn = DEFAULT_SOMAXCONN;

    @Min(128) @Max(MAX_TCP_MAX_SYN_BACKLOG) @Default("8192")
    @JsonPropertyDescription("net.ipv4.tcp_max_syn_backlog in the broker's network namespace: half-open connections kept during a reconnect storm (128-262144); with SYN cookies on it does not change how long a storm lasts.")
    private Integer tcpMaxSynBacklog = 8192;

    public Mode getMode() { return mode; }
    public void setMode(Mode mode) { this.mode = mode; }
    public Integer getSomaxconn() { return somaxconn; }
    public void setSomaxconn(Integer somaxconn) { this.somaxconn = somaxconn; }
    public Integer getTcpMaxSynBacklog() { return tcpMaxSynBacklog; }
    public void setTcpMaxSynBacklog(Integer tcpMaxSynBacklog) { this.tcpMaxSynBacklog = tcpMaxSynBacklog; }
}
