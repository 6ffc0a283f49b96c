package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.ArrayList;
import java.util.List;

/** The brokers' NetworkPolicy (on by default): who may reach which broker port. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NetworkPolicySpec {
    // On by default: without it any pod in the cluster reads the unauthenticated monitoring port
    // (/connz gives every node's TLS subject, address and subscriptions) and reaches the route port.
    @Default("true")
    @JsonPropertyDescription("Create a NetworkPolicy for the brokers (default true): the route port only from brokers of this cluster, the monitoring port only from the operator's pods in the operator's namespace and the namespaces in monitorNamespaceSelector, the client port as below. False leaves every port open to every pod.")
    private Boolean enabled = true;

    @JsonPropertyDescription("CIDRs (IPv4 or IPv6, e.g. 10.0.0.0/8) of Puppet nodes allowed on the client port. With neither this nor clientNamespaceSelector, the client port is open to all (nodes usually live outside Kubernetes).")
    private List<@Pattern(SpecPatterns.CIDR) String> clientCIDRs = new ArrayList<>();

    @JsonPropertyDescription("Namespaces whose pods may use the client port.")
    private LabelSelector clientNamespaceSelector;

    @JsonPropertyDescription("Namespaces (e.g. Prometheus') whose pods may read the monitoring port, besides the operator's pods.")
    private LabelSelector monitorNamespaceSelector;

    public Boolean getEnabled() { return enabled; }
    public void setEnabled(Boolean enabled) { this.enabled = enabled; }
    public List<String> getClientCIDRs() { return clientCIDRs; }
    public void setClientCIDRs(List<String> clientCIDRs) { this.clientCIDRs = clientCIDRs; }
    public LabelSelector getClientNamespaceSelector() { return clientNamespaceSelector; }
    public void setClientNamespaceSelector(LabelSelector s) { this.clientNamespaceSelector = s; }
    public LabelSelector getMonitorNamespaceSelector() { return monitorNamespaceSelector; }
    public void setMonitorNamespaceSelector(LabelSelector s) { this.monitorNamespaceSelector = s; }
}
