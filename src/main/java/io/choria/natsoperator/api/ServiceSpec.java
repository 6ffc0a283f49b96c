package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import java.util.LinkedHashMap;
import java.util.Map;

/** The client Service: how Puppet nodes, usually outside Kubernetes, reach the brokers. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ServiceSpec {
    public enum Type { ClusterIP, NodePort, LoadBalancer }

    @Default("ClusterIP")
    @JsonPropertyDescription("Type of the client Service: ClusterIP, NodePort or LoadBalancer (for Puppet nodes outside the cluster).")
    private Type type = Type.ClusterIP;

    @JsonPropertyDescription("Annotations of the client Service (e.g. for a cloud load balancer).")
    private Map<String, @Pattern(SpecPatterns.NO_CONTROL_CHARS) String> annotations = new LinkedHashMap<>();

    @Default("false")
    @JsonPropertyDescription("Also create a Service named 'puppet' on the client port, so Choria nodes in this namespace connect with no configuration (Choria's default broker is puppet:4222); its names join the certificate.")
    private Boolean puppetAlias = false;

    public Boolean getPuppetAlias() { return puppetAlias; }
    public void setPuppetAlias(Boolean puppetAlias) { this.puppetAlias = puppetAlias; }
    public Type getType() { return type; }
    public void setType(Type type) { this.type = type; }
    public Map<String, String> getAnnotations() { return annotations; }
    public void setAnnotations(Map<String, String> annotations) { this.annotations = annotations; }
}
