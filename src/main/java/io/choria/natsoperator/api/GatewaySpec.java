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
 * A NATS gateway joining this NatsCluster (one site) to other sites: a supercluster. NATS
 * requires the gateway name to equal the cluster name (ErrClusterNameConfigConflict), so the
 * gateway is named by {@code spec.clusterName} and remotes name the other sites' cluster names.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewaySpec {
    public static final int DEFAULT_PORT = 7222;

    @Min(1024) @Max(65535) @Default("7222")
    @JsonPropertyDescription("Gateway port (7222 by convention), TLS from the same CA, verified both ways.")
    private Integer port = DEFAULT_PORT;

    @Pattern("^[^\\x00-\\x20\\x7f\"]*$")
    @JsonPropertyDescription("host:port the other sites reach this site's gateway by (e.g. the gateway LoadBalancer's external name);"
            + " its host joins the broker certificate. Empty: each broker advertises its own address (pod IP), enough inside one Kubernetes cluster.")
    private String advertise;

    @Default("ClusterIP")
    @JsonPropertyDescription("Type of the gateway Service <name>-gateway: ClusterIP (sites in one Kubernetes cluster), NodePort or LoadBalancer.")
    private ServiceSpec.Type serviceType = ServiceSpec.Type.ClusterIP;

    @JsonPropertyDescription("Annotations of the gateway Service (e.g. for a cloud load balancer).")
    private Map<String, @Pattern(SpecPatterns.NO_CONTROL_CHARS) String> serviceAnnotations = new LinkedHashMap<>();

    @JsonPropertyDescription("The other sites. Changing them restarts the brokers one at a time: nats-server cannot reload gateway settings (2.9 and 2.10).")
    private List<GatewayRemote> remotes = new ArrayList<>();

    public Integer getPort() { return port; }
    public void setPort(Integer port) { this.port = port; }
    public String getAdvertise() { return advertise; }
    public void setAdvertise(String advertise) { this.advertise = advertise; }
    public ServiceSpec.Type getServiceType() { return serviceType; }
    public void setServiceType(ServiceSpec.Type serviceType) { this.serviceType = serviceType; }
    public Map<String, String> getServiceAnnotations() { return serviceAnnotations; }
    public void setServiceAnnotations(Map<String, String> serviceAnnotations) { this.serviceAnnotations = serviceAnnotations; }
    public List<GatewayRemote> getRemotes() { return remotes; }
    public void setRemotes(List<GatewayRemote> remotes) { this.remotes = remotes; }
}
