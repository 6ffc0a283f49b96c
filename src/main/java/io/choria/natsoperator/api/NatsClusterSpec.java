package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.kubernetes.api.model.ResourceRequirements;

/**
 * The desired broker cluster. Fields are plain data; defaults live in the field initialisers
 * (for offline {@code render}) and in {@code @Default} (so the API server fills them too).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NatsClusterSpec {
    public static final String DEFAULT_IMAGE = "nats:2.10.24-alpine";

    @Min(1)
    @io.fabric8.generator.annotation.Max(99)
    @Default("3")
    @JsonPropertyDescription("Number of brokers in the full mesh (usually 1, 3 or 5). Scaling reloads the routes of the brokers that stay; it does not restart them.")
    private Integer size = 3;

    @Default(DEFAULT_IMAGE)
    @io.fabric8.generator.annotation.Pattern(SpecPatterns.IMAGE)
    @JsonPropertyDescription("NATS server container image (no whitespace or control characters). Changing it rolls the brokers one at a time.")
    private String image = DEFAULT_IMAGE;

    @io.fabric8.generator.annotation.Pattern(SpecPatterns.CLUSTER_NAME)
    @JsonPropertyDescription("The NATS cluster name (and gateway name) of this site; metadata.name when empty."
            + " Give each site its own: sites joined by gateways must not share a name. Changing it restarts the brokers.")
    private String clusterName;

    @io.fabric8.generator.annotation.Pattern(SpecPatterns.SERVER_NAME_PREFIX)
    @JsonPropertyDescription("Prefix of each broker's server_name (server_name = prefix + pod name), so server names stay unique"
            + " across sites joined by gateways. Changing it restarts the brokers.")
    private String serverNamePrefix;

    @JsonPropertyDescription("A NATS gateway to other sites (a supercluster). Off when absent.")
    private GatewaySpec gateway;

    @JsonPropertyDescription("NATS leaf nodes: accept edge sites (port 7422) and/or dial hubs as an edge. Off when absent.")
    private LeafNodesSpec leafnodes;

    @JsonPropertyDescription("Choria Streams: JetStream on a volume per broker, the system and choria accounts, and the streams Choria"
            + " expects. Off when absent. Turning it on or off, or changing the storage class, replaces the StatefulSet (the brokers roll one at a time).")
    private StreamsSpec streams;

    @JsonPropertyDescription("Each Puppet node on its own subjects: a NATS user per certname the Puppet CA signed, with Choria's permissions"
            + " for its role (node, client, privileged client). Off when absent. Needs spec.tls.puppet with enforceRevocation."
            + " Turning it on or off restarts the brokers one at a time.")
    private AuthorizationSpec authorization;

    @JsonPropertyDescription("Ports of the brokers: clients (Choria nodes), routes between brokers, monitoring.")
    private PortsSpec ports = new PortsSpec();

    @JsonPropertyDescription("Route (cluster) authentication between brokers.")
    private RoutesSpec routes = new RoutesSpec();

    @JsonPropertyDescription("TLS from the site's Puppet CA. Required unless insecurePlaintext is true.")
    private TlsSpec tls;

    @Default("false")
    @JsonPropertyDescription("Run without spec.tls: clients need no certificate and the route password crosses the pod network in clear."
            + " Refused (PlaintextNotAllowed) unless this is true; ignored when tls is set. For tests and throwaway clusters only.")
    private Boolean insecurePlaintext = false;

    @JsonPropertyDescription("Kernel tuning so thousands of nodes can reconnect at once after a restart.")
    private SysctlsSpec sysctls = new SysctlsSpec();

    @JsonPropertyDescription("Puppet nodes per broker: derives memory, GOMEMLIMIT and max_connections, and warns before a broker runs out.")
    private CapacitySpec capacity;

    @JsonPropertyDescription("Compute resources of the broker container. Without them: derived from capacity, or a 300Mi request and 512Mi limit (about 2000 Choria nodes). Explicit resources win; the status warns when they are below what capacity needs.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Broker limits written to nats.conf.")
    private LimitsSpec limits = new LimitsSpec();

    @JsonPropertyDescription("Scheduling and metadata of the broker pods.")
    private PodSpec pod = new PodSpec();

    @JsonPropertyDescription("The client Service (port 4222) that Choria nodes connect to.")
    private ServiceSpec service = new ServiceSpec();

    @JsonPropertyDescription("The brokers' NetworkPolicy (on by default), guarding the client, route and monitoring ports.")
    private NetworkPolicySpec networkPolicy = new NetworkPolicySpec();

    @JsonPropertyDescription("Prometheus for the brokers: the exporter sidecar and a PodMonitor (both off by default).")
    private MonitoringSpec monitoring = new MonitoringSpec();

    public AuthorizationSpec getAuthorization() { return authorization; }
    public void setAuthorization(AuthorizationSpec authorization) { this.authorization = authorization; }
    public StreamsSpec getStreams() { return streams; }
    public void setStreams(StreamsSpec streams) { this.streams = streams; }
    public MonitoringSpec getMonitoring() { return monitoring; }
    public void setMonitoring(MonitoringSpec monitoring) { this.monitoring = monitoring; }
    public String getClusterName() { return clusterName; }
    public void setClusterName(String clusterName) { this.clusterName = clusterName; }
    public String getServerNamePrefix() { return serverNamePrefix; }
    public void setServerNamePrefix(String serverNamePrefix) { this.serverNamePrefix = serverNamePrefix; }
    public GatewaySpec getGateway() { return gateway; }
    public void setGateway(GatewaySpec gateway) { this.gateway = gateway; }
    public LeafNodesSpec getLeafnodes() { return leafnodes; }
    public void setLeafnodes(LeafNodesSpec leafnodes) { this.leafnodes = leafnodes; }
    public NetworkPolicySpec getNetworkPolicy() { return networkPolicy; }
    public void setNetworkPolicy(NetworkPolicySpec networkPolicy) { this.networkPolicy = networkPolicy; }
    public Integer getSize() { return size; }
    public void setSize(Integer size) { this.size = size; }
    public String getImage() { return image; }
    public void setImage(String image) { this.image = image; }
    public PortsSpec getPorts() { return ports; }
    public void setPorts(PortsSpec ports) { this.ports = ports; }
    public RoutesSpec getRoutes() { return routes; }
    public void setRoutes(RoutesSpec routes) { this.routes = routes; }
    public TlsSpec getTls() { return tls; }
    public void setTls(TlsSpec tls) { this.tls = tls; }
    public Boolean getInsecurePlaintext() { return insecurePlaintext; }
    public void setInsecurePlaintext(Boolean insecurePlaintext) { this.insecurePlaintext = insecurePlaintext; }
    /** True only when the spec opted in to plaintext in so many words. */
    public boolean plaintextAllowed() { return Boolean.TRUE.equals(insecurePlaintext); }
    public SysctlsSpec getSysctls() { return sysctls; }
    public void setSysctls(SysctlsSpec sysctls) { this.sysctls = sysctls; }
    public CapacitySpec getCapacity() { return capacity; }
    public void setCapacity(CapacitySpec capacity) { this.capacity = capacity; }
    public ResourceRequirements getResources() { return resources; }
    public void setResources(ResourceRequirements resources) { this.resources = resources; }
    public LimitsSpec getLimits() { return limits; }
    public void setLimits(LimitsSpec limits) { this.limits = limits; }
    public PodSpec getPod() { return pod; }
    public void setPod(PodSpec pod) { this.pod = pod; }
    public ServiceSpec getService() { return service; }
    public void setService(ServiceSpec service) { this.service = service; }
}
