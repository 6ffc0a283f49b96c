package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/**
 * Enrolment with the Puppet CA, as a Puppet agent enrols: the operator keeps the broker's key,
 * sends a CSR to the CA's API and fetches the certificate once it is signed. No CA key in
 * Kubernetes. It also keeps the brokers' allow-list of public keys in step with the CA's
 * inventory, so a node revoked in Puppet is refused.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.maxSyncAgeSeconds) || !has(self.syncIntervalSeconds) || self.maxSyncAgeSeconds >= 2 * self.syncIntervalSeconds",
        message = "maxSyncAgeSeconds must be at least twice syncIntervalSeconds: between two good syncs the list is up to one interval old")
public class PuppetEnrolmentSpec {
    /** The default of {@link #getMaxSyncAgeSeconds()} unless twice the sync interval is longer. */
    public static final int DEFAULT_MAX_SYNC_AGE_SECONDS = 600;
    public static final int MAX_MAX_SYNC_AGE_SECONDS = 7 * 24 * 3600;

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

    // No CEL rule: CEL cannot tell whether a string is a regular expression (and it would judge RE2, not Java's); the operator
    // checks it (InvalidSpec, with the reason), as render does.
    @Size(min = 1, max = 1024)
    @JsonPropertyDescription("With enforceRevocation: admit on the client port only certificates whose Puppet certname matches this Java regular expression"
            + " (the whole certname, e.g. '.+\\.nodes\\.example\\.net'); the Puppet CA signs every agent of the estate, not only Choria nodes."
            + " Unset: every certificate the CA lists as signed. The brokers' own certificate is always admitted.")
    private String pinnedCertnames;

    // No schema default: it follows syncIntervalSeconds (SpecDefaults fills it, see defaultMaxSyncAgeSeconds).
    @Min(10) @Max(MAX_MAX_SYNC_AGE_SECONDS)
    @JsonPropertyDescription("Seconds the last synced list may age while the Puppet CA cannot be asked before RevocationEnforced says RevocationListTooOld"
            + " (the list stays in force all the same; the operator serves this as natscluster_revocation_max_sync_age_seconds for the chart's alert)."
            + " Default 600, or twice syncIntervalSeconds when that is longer; at least twice syncIntervalSeconds.")
    private Integer maxSyncAgeSeconds;

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
    public Integer getMaxSyncAgeSeconds() { return maxSyncAgeSeconds; }
    public String getPinnedCertnames() { return pinnedCertnames; }
    public void setPinnedCertnames(String pinnedCertnames) { this.pinnedCertnames = pinnedCertnames; }
    public void setMaxSyncAgeSeconds(Integer maxSyncAgeSeconds) { this.maxSyncAgeSeconds = maxSyncAgeSeconds; }

    /** 600 s, or twice the sync interval when that is longer (one missed sync is not yet too old). */
    public static int defaultMaxSyncAgeSeconds(int syncIntervalSeconds) {
        return Math.max(DEFAULT_MAX_SYNC_AGE_SECONDS, 2 * syncIntervalSeconds);
    }
}
