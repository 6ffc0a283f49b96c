package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NATS leaf nodes: a small edge site joins a hub without joining its mesh or the supercluster.
 * A hub accepts (port 7422, TLS verified against the Puppet CA) exactly the edges it names in
 * {@code edges}, by a name their certificate carries; an edge lists the hubs it dials as remotes and presents its own
 * broker certificate. Both at once is allowed (a site that is an edge of one hub and a hub of others).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class LeafNodesSpec {
    public static final int DEFAULT_PORT = 7422;

    @Default("true")
    @JsonPropertyDescription("Accept leaf node connections on port (TLS verified against the CA: edges need a certificate from it"
            + " that carries a name in edges)."
            + " An edge site that only dials out sets false and opens no port.")
    private Boolean accept = true;

    @Min(1024) @Max(65535) @Default("7422")
    @JsonPropertyDescription("Leaf node port (7422 by convention).")
    private Integer port = DEFAULT_PORT;

    @Default("ClusterIP")
    @JsonPropertyDescription("Type of the leaf node Service <name>-leafnodes (when accepting): LoadBalancer or NodePort for edges outside Kubernetes.")
    private ServiceSpec.Type serviceType = ServiceSpec.Type.ClusterIP;

    @JsonPropertyDescription("Annotations of the leaf node Service (e.g. for a cloud load balancer).")
    private Map<String, @Pattern(SpecPatterns.NO_CONTROL_CHARS) String> serviceAnnotations = new LinkedHashMap<>();

    @JsonPropertyDescription("Who may connect on the leaf node port (when accepting): each entry is a name the edge broker's"
            + " certificate carries, matched exactly: a DNS name (an operator-managed edge: <name>.<namespace>.svc), an email"
            + " address, or its subject as nats-server writes it (CN=edge,O=Example). Every other certificate, Puppet-signed or not,"
            + " is refused. Empty: the port admits no one. Changing it restarts the brokers one at a time (nats-server cannot"
            + " reload leaf node authorization).")
    private List<@Pattern(SpecPatterns.NO_CONTROL_CHARS) String> edges = new ArrayList<>();

    @JsonPropertyDescription("Hubs this site dials as a leaf node, each with its own certificate. Changing them restarts the brokers"
            + " one at a time: nats-server cannot reload leaf node remotes or ports (2.9 and 2.10).")
    private List<LeafNodeRemote> remotes = new ArrayList<>();

    public Boolean getAccept() { return accept; }
    public void setAccept(Boolean accept) { this.accept = accept; }
    /** True when the brokers listen for leaf nodes. */
    public boolean accepting() { return !Boolean.FALSE.equals(accept); }
    public Integer getPort() { return port; }
    public void setPort(Integer port) { this.port = port; }
    public ServiceSpec.Type getServiceType() { return serviceType; }
    public void setServiceType(ServiceSpec.Type serviceType) { this.serviceType = serviceType; }
    public Map<String, String> getServiceAnnotations() { return serviceAnnotations; }
    public void setServiceAnnotations(Map<String, String> serviceAnnotations) { this.serviceAnnotations = serviceAnnotations; }
    public List<String> getEdges() { return edges; }
    public void setEdges(List<String> edges) { this.edges = edges; }
    public List<LeafNodeRemote> getRemotes() { return remotes; }
    public void setRemotes(List<LeafNodeRemote> remotes) { this.remotes = remotes; }
}
