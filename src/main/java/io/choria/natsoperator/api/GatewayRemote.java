package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import java.util.ArrayList;
import java.util.List;

/** Another site: by URLs (another Kubernetes cluster, a VM site) or by a NatsCluster in this Kubernetes cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "(has(self.urls) && size(self.urls) > 0) != has(self.natsClusterRef)",
        message = "a gateway remote needs exactly one of urls and natsClusterRef")
public class GatewayRemote {
    @Required
    @Pattern(SpecPatterns.CLUSTER_NAME)
    @JsonPropertyDescription("The remote site's cluster name (its spec.clusterName).")
    private String name;

    @JsonPropertyDescription("Gateway URLs of the remote site, e.g. tls://gw.site-b.example.net:7222. Their host names must be on the remote brokers' certificates.")
    private List<@Pattern(SpecPatterns.NATS_URL) String> urls = new ArrayList<>();

    @JsonPropertyDescription("A NatsCluster in this Kubernetes cluster; its gateway Service is the URL.")
    private NatsClusterReference natsClusterRef;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public List<String> getUrls() { return urls; }
    public void setUrls(List<String> urls) { this.urls = urls; }
    public NatsClusterReference getNatsClusterRef() { return natsClusterRef; }
    public void setNatsClusterRef(NatsClusterReference natsClusterRef) { this.natsClusterRef = natsClusterRef; }
}
