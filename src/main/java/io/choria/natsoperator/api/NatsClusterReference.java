package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** Another NatsCluster in this Kubernetes cluster. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NatsClusterReference {
    @Required
    @JsonPropertyDescription("Its metadata.name.")
    private String name;

    @JsonPropertyDescription("Its namespace; this NatsCluster's when empty.")
    private String namespace;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public String getNamespace() { return namespace; }
    public void setNamespace(String namespace) { this.namespace = namespace; }
}
