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

    @JsonPropertyDescription("CIDRs from which edge sites may dial the leafnode port. Unset: the sources the client port admits (clientCIDRs and clientNamespaceSelector; open when neither is set), since a leaf connection can publish like a client. An empty list admits no one.")
    private List<@Pattern(SpecPatterns.CIDR) String> leafnodeCIDRs;

    @JsonPropertyDescription("CIDRs from which sites given by URL in spec.gateway.remotes may dial the gateway port (sites given by natsClusterRef are admitted by their namespace and pod labels). Unset with any URL remote: the gateway port is open, guarded by TLS, the URL check and the pinned keys. An empty list admits no URL site.")
    private List<@Pattern(SpecPatterns.CIDR) String> gatewayCIDRs;

    @JsonPropertyDescription("Namespaces (e.g. Prometheus') whose pods may read the monitoring port, besides the operator's pods.")
    private LabelSelector monitorNamespaceSelector;

    public Boolean getEnabled() { return enabled; }
    public void setEnabled(Boolean enabled) { this.enabled = enabled; }
    public List<String> getClientCIDRs() { return clientCIDRs; }
    public void setClientCIDRs(List<String> clientCIDRs) { this.clientCIDRs = clientCIDRs; }
    public LabelSelector getClientNamespaceSelector() { return clientNamespaceSelector; }
    public void setClientNamespaceSelector(LabelSelector s) { this.clientNamespaceSelector = s; }
    public List<String> getLeafnodeCIDRs() { return leafnodeCIDRs; }
    public void setLeafnodeCIDRs(List<String> leafnodeCIDRs) { this.leafnodeCIDRs = leafnodeCIDRs; }
    public List<String> getGatewayCIDRs() { return gatewayCIDRs; }
    public void setGatewayCIDRs(List<String> gatewayCIDRs) { this.gatewayCIDRs = gatewayCIDRs; }
    public LabelSelector getMonitorNamespaceSelector() { return monitorNamespaceSelector; }
    public void setMonitorNamespaceSelector(LabelSelector s) { this.monitorNamespaceSelector = s; }
}
