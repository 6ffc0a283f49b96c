package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Scheduling and metadata of the broker pods. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public class PodSpec {
    @JsonPropertyDescription("Node labels a broker pod must match.")
    private Map<String, String> nodeSelector = new LinkedHashMap<>();

    @JsonPropertyDescription("Tolerations of the broker pods.")
    private List<Toleration> tolerations = new ArrayList<>();

    @JsonPropertyDescription("Affinity of the broker pods. When empty, brokers of one cluster prefer different nodes.")
    private Affinity affinity;

    @JsonPropertyDescription("Topology spread constraints of the broker pods.")
    private List<TopologySpreadConstraint> topologySpreadConstraints = new ArrayList<>();

    @JsonPropertyDescription("PriorityClass of the broker pods.")
    private String priorityClassName;

    @JsonPropertyDescription("Extra labels on the broker pods (the operator's app.kubernetes.io labels win on a clash).")
    private Map<String, @Pattern(SpecPatterns.NO_CONTROL_CHARS) String> labels = new LinkedHashMap<>();

    @JsonPropertyDescription("Extra annotations on the broker pods.")
    private Map<String, @Pattern(SpecPatterns.NO_CONTROL_CHARS) String> annotations = new LinkedHashMap<>();

    public Map<String, String> getNodeSelector() { return nodeSelector; }
    public void setNodeSelector(Map<String, String> nodeSelector) { this.nodeSelector = nodeSelector; }
    public List<Toleration> getTolerations() { return tolerations; }
    public void setTolerations(List<Toleration> tolerations) { this.tolerations = tolerations; }
    public Affinity getAffinity() { return affinity; }
    public void setAffinity(Affinity affinity) { this.affinity = affinity; }
    public List<TopologySpreadConstraint> getTopologySpreadConstraints() { return topologySpreadConstraints; }
    public void setTopologySpreadConstraints(List<TopologySpreadConstraint> c) { this.topologySpreadConstraints = c; }
    public String getPriorityClassName() { return priorityClassName; }
    public void setPriorityClassName(String priorityClassName) { this.priorityClassName = priorityClassName; }
    public Map<String, String> getLabels() { return labels; }
    public void setLabels(Map<String, String> labels) { this.labels = labels; }
    public Map<String, String> getAnnotations() { return annotations; }
    public void setAnnotations(Map<String, String> annotations) { this.annotations = annotations; }
}
