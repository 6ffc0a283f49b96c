package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/**
 * Enrolment with the Puppet CA, as a Puppet agent enrols: the operator keeps the broker's key,
 * sends a CSR to the CA's API and fetches the certificate once it is signed. No CA key in
 * Kubernetes. It also keeps the brokers' allow-list of public keys in step with the CA's
 * inventory, so a node revoked in Puppet is refused.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PuppetEnrolmentSpec {
    @Required
    @Size(max = 2048)
    @Pattern("^https://[^\\s]+$")
    @JsonPropertyDescription("URL of the Puppet CA API, e.g. https://puppet.example.net:8140 (the CA's server certificate is verified against caBundleSecretRef).")
    private String url;

    @Required
    @JsonPropertyDescription("Secret with the Puppet CA certificate bundle only (Puppet's ca_crt.pem: intermediate and root); never the CA key. Key defaults to ca.crt.")
    private SecretKeyReference caBundleSecretRef;

    @JsonPropertyDescription("Secret with the challenge password for policy-based autosigning, sent in the CSR's challengePassword attribute as csr_attributes.yaml does for agents. Optional.")
    private SecretKeyReference challengePasswordSecretRef;

    @Default("true")
    @JsonPropertyDescription("Refuse certificates Puppet has revoked: brokers admit only the public keys of certificates the CA lists as signed (tls pinned_certs), synced every syncIntervalSeconds. Needs auth.conf to allow the brokers' certname on certificate_statuses.")
    private Boolean enforceRevocation = true;

    @Min(5) @Max(3600) @Default("30")
    @JsonPropertyDescription("Seconds between syncs of the Puppet CA inventory and CRL (the revocation bound, plus the reload).")
    private Integer syncIntervalSeconds = 30;

    public String getUrl() { return url; }
    public void setUrl(String url) { this.url = url; }
    public SecretKeyReference getCaBundleSecretRef() { return caBundleSecretRef; }
    public void setCaBundleSecretRef(SecretKeyReference caBundleSecretRef) { this.caBundleSecretRef = caBundleSecretRef; }
    public SecretKeyReference getChallengePasswordSecretRef() { return challengePasswordSecretRef; }
    public void setChallengePasswordSecretRef(SecretKeyReference challengePasswordSecretRef) { this.challengePasswordSecretRef = challengePasswordSecretRef; }
    public Boolean getEnforceRevocation() { return enforceRevocation; }
    public void setEnforceRevocation(Boolean enforceRevocation) { this.enforceRevocation = enforceRevocation; }
    public Integer getSyncIntervalSeconds() { return syncIntervalSeconds; }
    public void setSyncIntervalSeconds(Integer syncIntervalSeconds) { this.syncIntervalSeconds = syncIntervalSeconds; }
}
