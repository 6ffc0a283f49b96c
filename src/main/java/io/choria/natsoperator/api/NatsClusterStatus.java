package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed; written only by the operator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class NatsClusterStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Brokers asked for.")
    private Integer size;

    @JsonPropertyDescription("Brokers ready (from the StatefulSet).")
    private Integer readyReplicas;

    @JsonPropertyDescription("readyReplicas/size, for kubectl get.")
    private String ready;

    @JsonPropertyDescription("The Ready condition's reason, for kubectl get.")
    private String phase;

    @JsonPropertyDescription("URLs Choria nodes use to connect through the client Service.")
    private List<String> clientURLs;

    @JsonPropertyDescription("Value for plugin.choria.middleware_hosts: every broker by its stable DNS name.")
    private String middlewareHosts;

    @JsonPropertyDescription("With spec.capacity: each broker's client connections against its capacity, from its /varz (e.g. 'broker-0 50/60').")
    private List<String> brokerConnections;

    @JsonPropertyDescription("The broker certificate currently served.")
    private CertificateStatus certificate;

    @JsonPropertyDescription("Puppet enrolment with enforceRevocation: when the Puppet CA gave the pinned list in force, that is the sync that last"
            + " changed it (RFC 3339). Syncs that find the same list do not rewrite it: how fresh the list is, is the metric"
            + " natscluster_revocation_sync_age_seconds and, past spec.tls.puppet.maxSyncAgeSeconds, RevocationEnforced=False (RevocationListTooOld).")
    private String revocationListSyncedAt;

    @JsonPropertyDescription("Ready, CertificateReady, RoutesMeshed, Progressing and Degraded, in the metav1.Condition shape.")
    private List<Condition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public Integer getSize() { return size; }
    public void setSize(Integer size) { this.size = size; }
    public Integer getReadyReplicas() { return readyReplicas; }
    public void setReadyReplicas(Integer readyReplicas) { this.readyReplicas = readyReplicas; }
    public String getReady() { return ready; }
    public void setReady(String ready) { this.ready = ready; }
    public String getPhase() { return phase; }
    public void setPhase(String phase) { this.phase = phase; }
    public List<String> getClientURLs() { return clientURLs; }
    public void setClientURLs(List<String> clientURLs) { this.clientURLs = clientURLs; }
    public List<String> getBrokerConnections() { return brokerConnections; }
    public void setBrokerConnections(List<String> brokerConnections) { this.brokerConnections = brokerConnections; }
    public String getMiddlewareHosts() { return middlewareHosts; }
    public void setMiddlewareHosts(String middlewareHosts) { this.middlewareHosts = middlewareHosts; }
    public CertificateStatus getCertificate() { return certificate; }
    public void setCertificate(CertificateStatus certificate) { this.certificate = certificate; }
    public String getRevocationListSyncedAt() { return revocationListSyncedAt; }
    public void setRevocationListSyncedAt(String revocationListSyncedAt) { this.revocationListSyncedAt = revocationListSyncedAt; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof NatsClusterStatus s)) return false;
        return Objects.equals(observedGeneration, s.observedGeneration) && Objects.equals(size, s.size)
                && Objects.equals(readyReplicas, s.readyReplicas) && Objects.equals(ready, s.ready)
                && Objects.equals(phase, s.phase) && Objects.equals(clientURLs, s.clientURLs)
                && Objects.equals(middlewareHosts, s.middlewareHosts) && Objects.equals(certificate, s.certificate)
                && Objects.equals(revocationListSyncedAt, s.revocationListSyncedAt) && Objects.equals(conditions, s.conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, size, readyReplicas, conditions);
    }
}
